package dev.sandbox4j.container;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandbox4j.Command;
import dev.sandbox4j.DataSize;
import dev.sandbox4j.ExecResult;
import dev.sandbox4j.Execution;
import dev.sandbox4j.InvalidInputException;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.NetworkPolicy;
import dev.sandbox4j.SandboxEvent;
import dev.sandbox4j.SyscallPolicy;
import dev.sandbox4j.BackendInfo;
import dev.sandbox4j.testkit.BackendRequirement;
import dev.sandbox4j.testkit.ContractCommands;
import dev.sandbox4j.testkit.HostProbes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The security model on every backend of this module, against the real engines: each sandbox's own host
 * uid, pinned host paths that a sandbox cannot redirect with a link, the one syscall table (every ABI), the
 * disk limit, no set-id file on the host, timeouts under a fork bomb. Each test asserts how the attempt
 * failed.
 */
class ContainerSecurityTest {
    /** The library's default uid range: a root JVM gives every sandbox a uid from it. */
    private static final long UID_FIRST = 1879048192L;
    private static final long UID_LAST = 1879113727L;

    private static BackendInfo backend(String name) {
        return BackendRequirement.assumeAvailable(name);
    }

    /** The strongest policy the backend enforces (strict() less its unclaimed parts). */
    private static IsolationPolicy policy(String name) {
        return IsolationPolicy.strongestFor(backend(name).capabilities());
    }

    private static Sandbox open(String name, IsolationPolicy policy) {
        return Sandbox.builder().backend(name).policy(policy).build();
    }

    private static boolean gvisor(String name) {
        return name.startsWith("gvisor");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"docker", "podman", "gvisor", "gvisor-runsc"})
    void everySandboxRunsAsAHostUidOfItsOwnAndCannotKillAnother(String name) throws Exception {
        IsolationPolicy p = policy(name);
        try (Sandbox a = open(name, p); Sandbox b = open(name, p)) {
            ExecResult ida = a.exec(Command.shell("id -u; id -g"));
            ExecResult idb = b.exec(Command.shell("id -u; id -g"));
            assertThat(ida.exitCode()).as("%s %s", ida, ida.stderr()).isZero();
            long uidA = Long.parseLong(ida.stdout().lines().findFirst().orElseThrow());
            long uidB = Long.parseLong(idb.stdout().lines().findFirst().orElseThrow());
            assertThat(uidA).as("never nobody, never root").isNotIn(65534L, 0L);
            if (HostProbes.jvmIsRoot()) {
                assertThat(uidA).as("two sandboxes").isNotEqualTo(uidB);
                assertThat(uidA).as("the library's uid range").isBetween(UID_FIRST, UID_LAST);
                assertThat(uidB).isBetween(UID_FIRST, UID_LAST);
            } else {
                // an unprivileged JVM can map no other ids: its sandboxes share its own
                assertThat(uidA).isEqualTo(HostProbes.jvmUid()).isEqualTo(uidB);
            }
            String mark = "SANDBOX4J_UIDTEST=" + Long.toHexString(System.nanoTime());
            Execution sleeper = a.start(Command.shell("sleep 120").env("SANDBOX4J_UIDTEST", mark.substring(mark.indexOf('=') + 1))
                    .timeout(Duration.ofMinutes(3)));
            assertThat(sleepsIn(a, Duration.ofSeconds(20))).as("the sleep runs in a").isEqualTo("1");
            if (!gvisor(name)) {
                // on the host, the command is a process of a's own uid (gVisor's tasks are not host processes)
                long pid = HostProbes.awaitProcessWithEnv(mark, Duration.ofSeconds(10)).get(0);
                assertThat(HostProbes.ids(pid).orElseThrow().uids()).as("host uids of a's command").containsOnly((int) uidA);
            }
            String k;
            try {
                k = b.exec(Command.shell("kill -9 -1; echo sent").timeout(Duration.ofSeconds(20))).toString();
            } catch (dev.sandbox4j.ExecException selfKilled) {
                // kill -9 -1 may end b's own container (its main process is b's): b's business, not a's
                k = selfKilled.getMessage();
            }
            assertThat(sleeper.onExit()).as("a's sleep after b's kill -9 -1 (%s)", k).isNotDone();
            assertThat(sleepsIn(a, Duration.ZERO)).as("a's sleep is alive").isEqualTo("1");
            sleeper.kill();
        }
    }

    /** How many {@code sleep 120} run in {@code s}, once it is at least one or {@code max} passed. */
    private static String sleepsIn(Sandbox s, Duration max) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        while (true) {
            String n = s.exec(Command.shell("for f in /proc/[0-9]*/cmdline; do tr '\\0' ' ' < $f; echo; done | grep -c '^sleep 120'"))
                    .stdout().strip();
            if (!n.equals("0") || System.nanoTime() > deadline) {
                return n;
            }
            Thread.sleep(50);
        }
    }

    /**
     * runc keeps the flags of the bind it is given: with a root JVM every bind source is a staged nosuid,nodev
     * bind, the workspace and the backend's own (the host image's /usr, the init) alike. gVisor's kernel shows
     * its own mount flags (no nosuid on a gofer mount), but every gVisor sandbox runs with no_new_privs, so a
     * set-id bit grants nothing there, and the set-id guard stops any from being set. An unprivileged JVM hands
     * an engine the paths themselves (it can make no bind).
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"docker", "podman"})
    void theWorkspaceAndTheHostImageAreNosuidNodevInside(String name) throws Exception {
        Assumptions.assumeTrue(HostProbes.jvmIsRoot(), "an unprivileged JVM hands the engine the paths themselves");
        Path dir = HostProbes.worldWritableDir(Path.of("/var/tmp"), "hello.txt", "hello");
        try (Sandbox s = open(name, policy(name).toBuilder().filesystem(fs -> fs.readOnly(dir, "/mnt/ro")).build())) {
            for (String mount : new String[] {"/workspace", "/usr", "/.sandbox4j/init", "/mnt/ro"}) {
                ExecResult r = s.exec(Command.shell("grep ' " + mount + " ' /proc/self/mountinfo | tail -1"));
                assertThat(r.exitCode()).as("%s: %s %s", mount, r, r.stderr()).isZero();
                String options = r.stdout().split(" ")[5];
                assertThat(options.split(",")).as("mount options of %s: %s", mount, r.stdout()).contains("nosuid", "nodev");
                if (!mount.equals("/workspace")) {
                    assertThat(options.split(",")).as("mount options of %s: %s", mount, r.stdout()).contains("ro");
                }
            }
            // read-only as planned, though the engine was given its (read-only) source as it is
            ExecResult w = s.exec(Command.shell("touch /mnt/ro/new"));
            assertThat(w.exitCode()).as("%s", w).isNotZero();
            assertThat(w.stderr()).contains("Read-only file system");
            assertThat(dir.resolve("new")).doesNotExist();
        } finally {
            HostProbes.deleteTree(dir);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"docker", "podman", "gvisor", "gvisor-runsc"})
    void aSetIdFileCannotBeMadeAndNoneReachesTheHost(String name, @TempDir Path ws) throws Exception {
        Files.setPosixFilePermissions(ws, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        IsolationPolicy p = policy(name).toBuilder().limits(l -> l.noDiskLimit()).build();
        try (Sandbox s = Sandbox.builder().backend(name).policy(p).workspace(ws).build()) {
            ExecResult r = s.exec(Command.shell("cp /bin/busybox /workspace/x && chmod 4755 /workspace/x; echo rc=$?;"
                    + " chmod 2755 /workspace/x; echo rc=$?; chmod 755 /workspace/x; echo rc=$?"));
            assertThat(r.stdout()).as("%s", r.stderr()).isEqualTo("rc=1\nrc=1\nrc=0\n");
            assertThat(r.stderr()).contains("Operation not permitted");
            assertThat(HostProbes.setIdFiles(ws)).as("set-id files in the open sandbox's host workspace").isEmpty();
            assertThat(HostProbes.mode(ws.resolve("x"))).isEqualTo(0755);
        }
        assertThat(HostProbes.setIdFiles(ws)).as("after close").isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"docker", "podman", "gvisor", "gvisor-runsc"})
    void theDiskLimitHoldsAcrossTmpAndTheWorkspace(String name) {
        Assumptions.assumeTrue(HostProbes.jvmIsRoot(), "an engine reaches a disk storage of a root JVM only");
        IsolationPolicy p = policy(name).toBuilder().limits(l -> l.disk(DataSize.ofMiB(16)).memory(DataSize.ofMiB(256))).build();
        try (Sandbox s = open(name, p)) {
            ExecResult r = s.exec(Command.shell("dd if=/dev/zero of=/tmp/a bs=1M count=10 2>&1 >/dev/null | tail -1; echo rc=$?;"
                    + " dd if=/dev/zero of=/workspace/b bs=1M count=10 2>&1; echo rc=$?; df -k /tmp /workspace")
                    .timeout(Duration.ofMinutes(1)));
            assertThat(r.stdout()).as("%s", r).contains("No space left on device");
            ExecResult sizes = s.exec(Command.shell("du -sk /tmp/a /workspace/b | cut -f1"));
            long total = sizes.stdout().lines().mapToLong(Long::parseLong).sum();
            assertThat(total).as("KiB stored in /tmp and /workspace together: %s", sizes.stdout()).isLessThanOrEqualTo(16 * 1024);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"docker", "podman", "gvisor", "gvisor-runsc"})
    void theSyscallTableHoldsOnEveryAbi(String name) throws Exception {
        Map<String, String> r = probe(name, policy(name));
        assertThat(r).containsEntry("x86_64 clone-newuser", "EPERM").containsEntry("x86_64 clone-newnet", "EPERM")
                .containsEntry("x86_64 clone-newns", "EPERM").containsEntry("x86_64 clone-newtime", "EPERM")
                .containsEntry("x86_64 clone-plain", "ok")
                .containsEntry("x86_64 clone3", "ENOSYS")
                .containsEntry("x86_64 unshare-newuser", "EPERM")
                .containsEntry("x86_64 io_uring_setup", "EPERM")
                .containsEntry("x86_64 openat2", "ENOSYS");
        vsockRefused(r);
        setIdGuard(r, "x86_64");
        compatAbiClosed(name, r);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"docker", "podman", "gvisor", "gvisor-runsc"})
    void withoutAPolicyFilterTheGuardAndTheVsockRuleStay(String name) throws Exception {
        Map<String, String> r = probe(name, policy(name).toBuilder().syscalls(SyscallPolicy.allowAll()).build());
        assertThat(r).containsEntry("x86_64 io_uring_setup", "ENOSYS").containsEntry("x86_64 openat2", "ENOSYS")
                .containsEntry("x86_64 clone-plain", "ok");
        vsockRefused(r);
        setIdGuard(r, "x86_64");
        compatAbiClosed(name, r);
    }

    /**
     * AF_VSOCK is refused however the family is passed: as an int (EPERM), with garbage above its 32 bits
     * ({@code socket(0x1_0000_0028, ...)}: the kernel reads an int, so the filter compares 32 bits), and an
     * AF_UNIX socket still works.
     */
    private static void vsockRefused(Map<String, String> r) {
        assertThat(r).containsEntry("x86_64 socket-vsock", "EPERM").containsEntry("x86_64 socket-vsock-high", "EPERM")
                .containsEntry("x86_64 socket-unix", "ok");
    }

    /**
     * The compat ABIs. On runc (docker, podman) the engine profile lists the native ABI alone (an allowlist
     * cannot hold the table's vsock rule on i386, whose socketcall libseccomp fills with the socket rules'
     * ALLOWs), so every call through int 0x80 kills its caller: SIGSYS (31), socketcall(SYS_SOCKET, AF_VSOCK)
     * and the set-id calls included. gVisor's kernel has no i386 ABI: it takes int 0x80 from a 64-bit process
     * as a call of its own x86_64 table with the same number (i386 socketcall, 102, is x86_64's getuid, whose
     * "ok" is a uid, no socket; i386 fchmodat, 306, is syncfs), so no answer there is the i386 call's; what must
     * hold is that none of them made a set-id file.
     */
    private static void compatAbiClosed(String name, Map<String, String> r) {
        r.forEach((k, v) -> assertThat(v).as(k).doesNotContain("SETID-FILE"));
        Map<String, String> i386 = new java.util.TreeMap<>();
        r.forEach((k, v) -> {
            if (k.startsWith("i386 ")) {
                i386.put(k, v);
            }
        });
        assertThat(i386).as("the probe's i386 calls").containsKey("i386 socketcall-vsock");
        if (!gvisor(name)) {
            assertThat(i386).as("every call through the i386 ABI is killed (SIGSYS)")
                    .allSatisfy((k, v) -> assertThat(v).as(k).isEqualTo("signal 31"));
        }
    }

    private static void setIdGuard(Map<String, String> r, String abi) {
        assertThat(r).as("%s", abi)
                .containsEntry(abi + " chmod-4755", "EPERM").containsEntry(abi + " chmod-2755", "EPERM")
                .containsEntry(abi + " chmod-755", "ok")
                .containsEntry(abi + " fchmod-4755", "EPERM")
                .containsEntry(abi + " fchmodat-4755", "EPERM").containsEntry(abi + " fchmodat-2755", "EPERM")
                .containsEntry(abi + " fchmodat-755", "ok")
                .containsEntry(abi + " open-creat-4755", "EPERM").containsEntry(abi + " open-creat-644", "ok")
                .containsEntry(abi + " openat-creat-2755", "EPERM")
                .containsEntry(abi + " creat-4755", "EPERM")
                .containsEntry(abi + " mknod-4755", "EPERM").containsEntry(abi + " mknodat-2755", "EPERM");
    }

    /**
     * A 32-bit program cannot run in a runc sandbox whatever its policy (the profile lists no compat ABI): its
     * first call kills it, exit 159 (128 + SIGSYS), before it printed anything.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"docker", "podman"})
    void aThirtyTwoBitProgramIsKilledAtItsFirstCall(String name) throws Exception {
        byte[] program = SyscallProbe.i386Program();
        for (IsolationPolicy p : java.util.List.of(policy(name), policy(name).toBuilder().syscalls(SyscallPolicy.allowAll())
                .network(NetworkPolicy.host()).build())) {
            try (Sandbox s = open(name, p)) {
                s.files().write("hello32", program);
                ExecResult r = s.exec(Command.shell("cp hello32 h && chmod 755 h && ./h; echo \"exit=$?\""));
                assertThat(r.stdout()).as("%s under %s: %s", r, p.syscalls(), r.stderr()).isEqualTo("exit=159\n");
            }
        }
    }

    private static Map<String, String> probe(String name, IsolationPolicy p) throws Exception {
        byte[] probe = SyscallProbe.binary();
        try (Sandbox s = open(name, p)) {
            s.files().write("probe", probe);
            ExecResult r = s.exec(Command.shell("chmod 755 /workspace/probe && mkdir -p /workspace/t && /workspace/probe /workspace/t")
                    .timeout(Duration.ofMinutes(1)));
            assertThat(r.exitCode()).as("%s %s", r, r.stderr()).isZero();
            return SyscallProbe.parse(r.stdout());
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"docker", "podman", "gvisor", "gvisor-runsc"})
    void aSymlinkedMountSourceIsNeverFollowed(String name, @TempDir Path ws) throws Exception {
        Assumptions.assumeTrue(HostProbes.jvmIsRoot(), "an unprivileged JVM refuses a source inside a writable mount");
        Files.createDirectories(ws.resolve("data"));
        Files.writeString(ws.resolve("data/marker"), "data\n");
        Files.createDirectories(ws.resolve("a/etc"));
        Files.writeString(ws.resolve("a/etc/marker"), "deep\n");
        IsolationPolicy p = policy(name).toBuilder().limits(l -> l.noDiskLimit())
                .filesystem(fs -> fs.readWrite(ws.resolve("data"), "/data").readWrite(ws.resolve("a/etc"), "/deep")).build();
        try (Sandbox s = Sandbox.builder().backend(name).policy(p).workspace(ws).build()) {
            // the last component and a middle one replaced with links to / (so a/etc would be the host's /etc)
            ExecResult swap = s.exec(Command.shell("cd /workspace && mv data data.real && ln -s / data && mv a a.real"
                    + " && ln -s / a && [ -d data/proc ] && [ -d a/etc ] && echo swapped"));
            assertThat(swap.stdout()).as("%s %s", swap, swap.stderr()).isEqualTo("swapped\n");
            assertThat(Files.isSymbolicLink(ws.resolve("data"))).isTrue();
            assertMountsShowTheirOwnDirectories(s);
            // the engine makes the container again from its sources: they must still be the pinned directories
            remake(name, s);
            assertMountsShowTheirOwnDirectories(s);
        }
        // a second sandbox on the same (now linked) directories: refused at build(), naming the link
        assertThatThrownBy(() -> Sandbox.builder().backend(name).policy(p).workspace(ws).build())
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("symbolic link")
                .hasMessageContaining(ws.resolve("data").toString());
        IsolationPolicy deep = policy(name).toBuilder().limits(l -> l.noDiskLimit())
                .filesystem(fs -> fs.readWrite(ws.resolve("a/etc"), "/deep")).build();
        assertThatThrownBy(() -> Sandbox.builder().backend(name).policy(deep).workspace(ws).build())
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("symbolic link")
                .hasMessageContaining(ws.resolve("a") + " is a link to /");
    }

    private static void assertMountsShowTheirOwnDirectories(Sandbox s) {
        ExecResult r = s.exec(Command.shell("cat /data/marker /deep/marker; set -- /data/*; echo $#; test -e /deep/passwd && echo HOST-ETC;"
                + " test -e /data/proc/1 && echo HOST-ROOT; true"));
        assertThat(r.stdout()).as("%s %s", r, r.stderr()).isEqualTo("data\ndeep\n1\n");
    }

    /** Makes the sandbox's container again from the sources the backend gave its engine. */
    private static void remake(String name, Sandbox s) throws Exception {
        switch (name) {
            case "docker", "gvisor" -> Engines.docker().api().restartContainerCmd(
                    dev.sandbox4j.container.internal.plan.ContainerPlanner.containerName(s.id())).withTimeout(0).exec();
            case "podman" -> {
                Process p = new ProcessBuilder("podman", "restart", "-t", "0",
                        dev.sandbox4j.container.internal.plan.ContainerPlanner.containerName(s.id())).redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
                assertThat(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0).as("podman restart: %s", out).isTrue();
            }
            case "gvisor-runsc" -> {
                // kill the sandbox's gVisor kernel: the next command makes the runsc container again from the bundle
                Path dir = GvisorRunscBackendTest.sandboxDirsOfThisJvm().stream()
                        .filter(d -> d.getFileName().toString().endsWith("--" + s.id())).findFirst().orElseThrow();
                for (long pid : GvisorRunscBackendTest.runscProcessesOf(dir)) {
                    ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
                }
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (!GvisorRunscBackendTest.runscProcessesOf(dir).stream().filter(pid -> ProcessHandle.of(pid)
                        .map(ProcessHandle::isAlive).orElse(false)).toList().isEmpty() && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                // a command that raced the kill ends with 137; the one after it runs in the remade sandbox
                ExecResult first = s.exec(Command.of("true"));
                if (first.exitCode() != 0) {
                    assertThat(s.exec(Command.of("true")).exitCode()).as("after %s", first).isZero();
                }
            }
            default -> throw new IllegalArgumentException(name);
        }
    }

    /**
     * The core's files API makes what it writes the sandbox's (the backend's filesOwner(): the container's
     * host ids): directories it creates on the way included, so that the sandbox's user can change them.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"docker", "podman", "gvisor", "gvisor-runsc"})
    void whatTheFilesApiMakesBelongsToTheSandboxsUser(String name, @TempDir Path ws) throws Exception {
        IsolationPolicy p = policy(name).toBuilder().limits(l -> l.noDiskLimit()).build();
        try (Sandbox s = Sandbox.builder().backend(name).policy(p).workspace(ws).build()) {
            s.files().write("d/e/f.txt", "from the host\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            int uid = Integer.parseInt(s.exec(Command.shell("id -u")).stdout().strip());
            for (String made : new String[] {"d", "d/e", "d/e/f.txt"}) {
                assertThat(HostProbes.owner(ws.resolve(made))).as("host owner of %s", made).isEqualTo(uid);
            }
            ExecResult r = s.exec(Command.shell("cd /workspace && echo more >> d/e/f.txt && touch d/e/new && mkdir d/e/g"
                    + " && rm d/e/f.txt && echo changed"));
            assertThat(r.stdout()).as("%s %s", r, r.stderr()).isEqualTo("changed\n");
        }
    }

    /** How far past the deadline these tests accept a timed-out exec's return; the goal is 2 s, printed. */
    private static final Duration TIMEOUT_SLACK = Duration.ofSeconds(6);
    private static final Duration LOAD_TIMEOUT = Duration.ofSeconds(3);

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"docker", "podman"})
    void aTimeoutEndsAForkBombUnderThePidsLimit(String name) throws Exception {
        IsolationPolicy p = policy(name).toBuilder().limits(l -> l.pids(64)).build();
        try (Sandbox s = open(name, p)) {
            timesOutUnderLoad(name, s, "a fork bomb under pids 64", "b() { b | b & }; ( b ) & while :; do :; done");
        }
    }

    /**
     * runc: the hog reaches the 96m limit and is OOM-killed, again and again. gVisor: the limit is the whole
     * sandbox's (its kernel's own memory too), and reaching it kills the sandbox (GvisorBackendTest), so the hog
     * holds 100 MB at a time under a 256m limit, again and again, for the timeout to be what ends it.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"docker", "podman", "gvisor", "gvisor-runsc"})
    void aTimeoutEndsAMemoryHog(String name) throws Exception {
        DataSize limit = DataSize.ofMiB(gvisor(name) ? 256 : 96);
        IsolationPolicy p = policy(name).toBuilder().limits(l -> l.memory(limit)).build();
        try (Sandbox s = open(name, p)) {
            String hog = "while :; do head -c " + (gvisor(name) ? 100_000_000 : 1L << 30) + " /dev/zero | tail -n 1 > /dev/null; done";
            timesOutUnderLoad(name, s, "a memory hog under a " + limit + " limit", hog);
        }
    }

    /**
     * gVisor has no pids limit (not claimed): its sandbox is saturated with busy loops, processes forking
     * without end and data through a pipe instead; the timeout still ends the command's whole tree.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"gvisor", "gvisor-runsc"})
    void aTimeoutEndsASaturatedGvisorSandbox(String name) throws Exception {
        IsolationPolicy p = policy(name).toBuilder().limits(l -> l.memory(DataSize.ofMiB(256))).build();
        try (Sandbox s = open(name, p)) {
            timesOutUnderLoad(name, s, "busy loops and a pipe", "for i in 1 2 3 4 5 6 7 8; do (while :; do :; done) & done;"
                    + " head -c 100000000 /dev/zero | tail -c 1 & wait");
            timesOutUnderLoad(name, s, "16 loops forking without end", "for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do"
                    + " (while :; do (:); done) & done; wait");
        }
    }

    /**
     * Runs {@code script} with a 3 s timeout: it must come back timed out (printing how long it took), its whole
     * tree gone (inside; on runc also on the host), and the sandbox usable.
     */
    private static void timesOutUnderLoad(String name, Sandbox s, String what, String script) throws Exception {
        String mark = Long.toHexString(System.nanoTime());
        long t0 = System.nanoTime();
        ExecResult r = s.exec(Command.shell(script).env("SANDBOX4J_LOAD", mark).timeout(LOAD_TIMEOUT));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.println("[timeout] " + name + ": " + what + " with a " + LOAD_TIMEOUT.toSeconds() + " s timeout returned"
                + " after " + ms + " ms (" + (ms - LOAD_TIMEOUT.toMillis()) + " ms past the deadline; " + r + ")");
        assertThat(r.timedOut()).as("%s: %s after %d ms; stderr: %s", what, r, ms, r.stderr()).isTrue();
        assertThat(Duration.ofMillis(ms)).as("return of %s (goal: the deadline + 2 s)", what)
                .isLessThan(LOAD_TIMEOUT.plus(TIMEOUT_SLACK));
        if (!gvisor(name)) {
            java.util.List<Long> left = HostProbes.awaitNoProcessWithEnv("SANDBOX4J_LOAD=" + mark, Duration.ofSeconds(10));
            assertThat(left).as("processes of %s left on the host:%s", what, HostProbes.describe(left)).isEmpty();
        }
        ExecResult inside = s.exec(Command.shell(ContractCommands.processesWithEnvInside("SANDBOX4J_LOAD=" + mark))
                .timeout(Duration.ofSeconds(30)));
        assertThat(inside.exitCode()).as("%s %s", inside, inside.stderr()).isZero();
        assertThat(inside.stdout().strip()).as("processes of %s left inside", what).isEmpty();
        assertThat(s.exec(Command.of("echo", "usable")).stdout()).isEqualTo("usable\n");
    }

    /**
     * {@code kill -9 -1} as the sandbox's uid reaches every process of the sandbox but its init, the exec agent
     * (or gVisor's keep-alive) among them: the command ends at once, killed (137), and the next command runs in
     * the sandbox made again, with the workspace kept and the restart reported.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"docker", "podman", "gvisor", "gvisor-runsc"})
    void aCommandThatKillsEveryProcessEndsAtOnceAndTheSandboxComesBack(String name) {
        java.util.List<SandboxEvent> events = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (Sandbox s = Sandbox.builder().backend(name).policy(policy(name)).listener(events::add).build()) {
            s.files().write("kept", "kept\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            long t0 = System.nanoTime();
            ExecResult r = s.exec(Command.shell("kill -9 -1; sleep 30; echo survived").timeout(Duration.ofSeconds(60)));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            System.out.println("[kill -9 -1] " + name + ": the exec returned after " + ms + " ms: " + r);
            assertThat(r.timedOut()).as("%s", r).isFalse();
            assertThat(r.exitCode()).as("%s %s", r, r.stderr()).isEqualTo(137);
            assertThat(r.stdout()).doesNotContain("survived");
            assertThat(Duration.ofMillis(ms)).as("the exec ends at once, not at its timeout").isLessThan(Duration.ofSeconds(10));
            ExecResult after = s.exec(Command.shell("cat /workspace/kept; echo ok").timeout(Duration.ofSeconds(60)));
            assertThat(after.stdout()).as("%s %s", after, after.stderr()).isEqualTo("kept\nok\n");
            assertThat(events).as("the restart is reported").anySatisfy(e -> assertThat(e)
                    .isInstanceOfSatisfying(SandboxEvent.Progress.class, p -> assertThat(p.step()).isEqualTo("sandbox restart")));
            assertThat(s.exec(Command.of("true")).exitCode()).isZero();
        }
    }
}
