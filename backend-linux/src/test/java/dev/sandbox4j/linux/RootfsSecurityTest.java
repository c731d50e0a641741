package dev.sandbox4j.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sandbox4j.Command;
import dev.sandbox4j.DataSize;
import dev.sandbox4j.ExecResult;
import dev.sandbox4j.Execution;
import dev.sandbox4j.InvalidInputException;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.NetworkPolicy;
import dev.sandbox4j.ProcessPolicy;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.SandboxBuilder;
import dev.sandbox4j.linux.internal.host.HostIds;
import dev.sandbox4j.testkit.BackendRequirement;
import dev.sandbox4j.testkit.HostProbes;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The escape classes of issue 12, attacked through the public API against the chroot and nspawn backends
 * (both need a root JVM; elsewhere each test is skipped with the backend's probe's reason); every attempt is
 * asserted to fail, and how:
 * <ul>
 *   <li>a host uid of its own: {@code id -u} inside is the sandbox's host uid from the library's range, two
 *       sandboxes differ, and a chroot's {@code kill -9 -1} (the host's pid namespace) reaches none of another
 *       sandbox's processes nor a host process of the old shared uid 65534;</li>
 *   <li>pinned host paths: the root is built once, so a mount source inside the workspace that the command
 *       replaces with a link (its last component or one above it) keeps showing the pinned directory, and the
 *       next sandbox built on it is refused at build(), naming the link; the link's target is never shown;</li>
 *   <li>the one syscall table, loaded always: set-id bits refused (shell, install, every call and the i386
 *       ABI), no set-id file on the host; clone(CLONE_NEWUSER), clone3, io_uring and AF_VSOCK;</li>
 *   <li>the disk limit: /tmp and the workspace share the one bounded storage;</li>
 *   <li>timeouts hold under a fork bomb and a memory hog: the result comes back within 2 s of the deadline with
 *       the tree gone.</li>
 * </ul>
 * The session keyring is {@link SessionKeyringTest}'s.
 */
class RootfsSecurityTest {
    private static final String MARK = "SANDBOX4J_ROOTFS_MARK";
    private static final long RANGE_FIRST = 1879048192L;
    private static final long RANGE_LAST = 1879113727L;
    private static final List<String> SET_ID_CALLS = List.of("chmod", "chmod-g", "fchmodat", "fchmodat2", "fchmod", "open-creat",
            "openat-creat", "creat", "mknodat");
    private static Path probes;

    @TempDir
    Path tmp;
    private final List<Sandbox> open = new ArrayList<>();

    @BeforeAll
    static void compileProbes() throws Exception {
        probes = Files.createTempDirectory("sandbox4j-rootfs-probes-");
        Files.setPosixFilePermissions(probes, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path attack = probes.resolve("attack-probe.c");
        try (InputStream in = RootfsSecurityTest.class.getResourceAsStream("attack-probe.c")) {
            Files.write(attack, in.readAllBytes());
        }
        gcc(List.of("-O1", "-static", "-no-pie", "-o", probes.resolve("attack-probe").toString(), attack.toString()));
        // every process forks for ever, failing or not: the bomb never collapses, it saturates the pids limit and the CPUs
        Files.writeString(probes.resolve("fork-bomb.c"), "#include <unistd.h>\nint main(void) { for (;;) fork(); }\n");
        gcc(List.of("-O1", "-static", "-o", probes.resolve("fork-bomb").toString(), probes.resolve("fork-bomb.c").toString()));
    }

    @AfterAll
    static void removeProbes() {
        if (probes != null) {
            HostProbes.deleteTree(probes);
        }
    }

    private static void gcc(List<String> args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("gcc"));
        cmd.addAll(args);
        Process cc = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String log = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assumeTrue(cc.waitFor() == 0, "gcc could not build a probe: " + cmd + ": " + log);
    }

    @AfterEach
    void closeAll() {
        open.forEach(Sandbox::close);
        open.clear();
    }

    private Sandbox sandbox(String backend, IsolationPolicy policy) {
        return sandbox(backend, policy, UnaryOperator.identity());
    }

    private Sandbox sandbox(String backend, IsolationPolicy policy, UnaryOperator<SandboxBuilder> more) {
        BackendRequirement.assumeAvailable(backend);
        Sandbox s = more.apply(Sandbox.builder().backend(backend).policy(policy)).build();
        open.add(s);
        return s;
    }

    /** The strict preset as each backend can have it: a chroot shares the host's network and pids. */
    static IsolationPolicy strict(String backend) {
        IsolationPolicy strict = IsolationPolicy.strict();
        if (!backend.equals("chroot")) {
            return strict;
        }
        ProcessPolicy p = strict.process();
        return strict.toBuilder().network(NetworkPolicy.host())
                .process(new ProcessPolicy(false, p.uid(), p.noNewPrivileges(), p.dropCapabilities(), p.keepCapabilities())).build();
    }

    /** {@link #strict} without a disk limit (a caller's workspace, or a read-write mount, excludes one). */
    private static IsolationPolicy strictWithoutDisk(String backend) {
        return strict(backend).toBuilder().limits(l -> l.noDiskLimit()).build();
    }

    private static ExecResult ok(ExecResult r) {
        assertThat(r.exitCode()).as("%s%nstdout: %s%nstderr: %s", r, r.stdout(), r.stderr()).isZero();
        return r;
    }

    private static Map<String, String> probeResults(ExecResult r) {
        return r.stdout().lines().filter(l -> l.contains(" ")).collect(Collectors.toMap(l -> l.substring(0, l.indexOf(' ')),
                l -> l.substring(l.indexOf(' ') + 1), (a, b) -> a));
    }

    private static List<Path> setIdFiles(Path dir) throws Exception {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> {
                try {
                    return ((Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 06000) != 0;
                } catch (Exception e) {
                    return false;
                }
            }).toList();
        }
    }

    /** The real uid of a host process. */
    private static long hostUid(long pid) throws Exception {
        String line = Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")).stream()
                .filter(l -> l.startsWith("Uid:")).findFirst().orElseThrow();
        return Long.parseLong(line.substring(4).strip().split("\\s+")[0]);
    }

    private static long startedPid(String mark) throws Exception {
        List<Long> pids = HostProbes.awaitProcessWithEnv(MARK + "=" + mark, Duration.ofSeconds(20));
        assertThat(pids).as("the process marked %s on the host", mark).hasSize(1);
        return pids.get(0);
    }

    @ParameterizedTest
    @ValueSource(strings = {"chroot", "nspawn"})
    void idInsideIsTheSandboxesOwnHostUidAndTwoSandboxesDiffer(String backend) throws Exception {
        Sandbox a = sandbox(backend, strict(backend));
        Sandbox b = sandbox(backend, strict(backend));
        long ua = Long.parseLong(ok(a.exec(Command.of("id", "-u"))).stdout().strip());
        long ub = Long.parseLong(ok(b.exec(Command.of("id", "-u"))).stdout().strip());
        assertThat(List.of(ua, ub)).as("the sandboxes' own host uids, never 65534 or root")
                .allMatch(u -> u >= RANGE_FIRST && u <= RANGE_LAST).doesNotHaveDuplicates();
        assertThat(ok(a.exec(Command.of("id", "-g"))).stdout().strip()).isEqualTo(Long.toString(ua));
        String m = UUID.randomUUID().toString();
        Execution e = a.start(Command.of("sleep", "60").env(MARK, m));
        try {
            assertThat(hostUid(startedPid(m))).as("on the host, the command runs as what id -u printed inside").isEqualTo(ua);
        } finally {
            e.kill();
        }
    }

    @Test
    void killAllInAChrootReachesNoOtherSandboxAndNoHostNobodyProcess() throws Exception {
        BackendRequirement.assumeAvailable("chroot");
        Sandbox attacker = sandbox("chroot", strict("chroot"));
        Sandbox otherChroot = sandbox("chroot", strict("chroot"));
        Sandbox namespaces = sandbox("namespaces", TestPolicies.strict());
        String own = UUID.randomUUID().toString();
        String other = UUID.randomUUID().toString();
        String ns = UUID.randomUUID().toString();
        Execution ownSleep = attacker.start(Command.of("sleep", "60").env(MARK, own));
        Execution otherSleep = otherChroot.start(Command.of("sleep", "60").env(MARK, other));
        Execution nsSleep = namespaces.start(Command.of("sleep", "60").env(MARK, ns));
        Process nobody = new ProcessBuilder("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--", "sleep", "60").start();
        try {
            long otherPid = startedPid(other);
            long nsPid = startedPid(ns);
            startedPid(own);
            assertThat(hostUid(nobody.pid())).isEqualTo(65534);
            ExecResult kill = ok(attacker.exec(Command.shell("kill -9 -1; echo killed $?")));
            assertThat(kill.stdout()).as("kill -1 found processes of its own uid to signal").isEqualTo("killed 0\n");
            assertThat(HostProbes.awaitNoProcessWithEnv(MARK + "=" + own, Duration.ofSeconds(10)))
                    .as("the attacker's own sleep: the one process kill -1 may reach").isEmpty();
            assertThat(ownSleep.await().exitCode()).isEqualTo(137);
            assertThat(ProcessHandle.of(otherPid).map(ProcessHandle::isAlive)).as("the other chroot sandbox's process")
                    .contains(true);
            assertThat(ProcessHandle.of(nsPid).map(ProcessHandle::isAlive)).as("the namespaces sandbox's process").contains(true);
            assertThat(nobody.isAlive()).as("a host process of uid 65534").isTrue();
            assertThat(otherChroot.exec(Command.of("echo", "alive")).stdout()).isEqualTo("alive\n");
        } finally {
            nobody.destroyForcibly();
            otherSleep.kill();
            nsSleep.kill();
        }
    }

    /**
     * A mount source inside the writable workspace, replaced by the command with a link to a host directory
     * holding a secret (its last component, or the directory above it): the root was built once, so later execs
     * keep showing the pinned directory; a second sandbox built on the same paths is refused at build(), naming
     * the link. The secret is never shown.
     */
    @ParameterizedTest(name = "{0} {1} {2}")
    @CsvSource({"chroot, ro, last", "chroot, rw, last", "chroot, ro, middle", "chroot, rw, middle",
        "nspawn, ro, last", "nspawn, rw, last", "nspawn, ro, middle", "nspawn, rw, middle"})
    void aReplacedMountSourceKeepsThePinnedDirectoryAndTheNextSandboxIsRefused(String backend, String access, String variant)
            throws Exception {
        Path ws = Files.createDirectories(tmp.resolve("ws"));
        Path hostDir = Files.createDirectories(tmp.resolve("host-dir/b"));
        Files.writeString(hostDir.resolve("secret"), "TOP-SECRET-OF-THE-HOST\n");
        Path source = variant.equals("middle") ? Files.createDirectories(ws.resolve("a/b")) : Files.createDirectories(ws.resolve("sub"));
        Files.writeString(source.resolve("file"), "the pinned directory\n");
        IsolationPolicy p = strictWithoutDisk(backend).toBuilder().filesystem(fs -> access.equals("rw")
                ? fs.readWrite(source, "/data") : fs.readOnly(source, "/data")).build();
        Sandbox s = sandbox(backend, p, b -> b.workspace(ws));
        assertThat(ok(s.exec(Command.shell("cat /data/file"))).stdout()).isEqualTo("the pinned directory\n");

        Path link = variant.equals("middle") ? ws.resolve("a") : ws.resolve("sub");
        String replace = variant.equals("middle")
                ? "mv /workspace/a /workspace/a.old && ln -s " + hostDir.getParent() + " /workspace/a"
                : "mv /workspace/sub /workspace/sub.old && ln -s " + hostDir + " /workspace/sub";
        ok(s.exec(Command.shell(replace)));
        assertThat(Files.isSymbolicLink(link)).as("the command replaced %s with a link", link).isTrue();

        for (int exec = 0; exec < 2; exec++) {
            ExecResult r = s.exec(Command.shell("cat /data/file; ls /data; cat /data/secret"));
            assertThat(r.stdout()).as("exec %s after the swap: %s", exec, r.stderr()).startsWith("the pinned directory\n")
                    .doesNotContain("TOP-SECRET", "secret");
            assertThat(r.stderr()).contains("/data/secret: No such file or directory");
        }
        if (access.equals("rw")) {
            ok(s.exec(Command.shell("echo written > /data/new")));
            Path pinned = variant.equals("middle") ? ws.resolve("a.old/b") : ws.resolve("sub.old");
            assertThat(pinned.resolve("new")).as("a write lands in the pinned directory").hasContent("written");
            assertThat(hostDir.resolve("new")).as("never in the link's target").doesNotExist();
        }

        assertThatThrownBy(() -> sandbox(backend, p, b -> b.workspace(ws))).as("a second sandbox on the replaced source")
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("'" + source + "' has a symbolic link in it")
                .hasMessageContaining(link + " is a link to")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("TOP-SECRET"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"chroot", "nspawn"})
    void noSetIdFileReachesTheHostAndTheTableAnswersEveryCall(String backend) throws Exception {
        Path ws = Files.createDirectories(tmp.resolve("ws"));
        IsolationPolicy p = strictWithoutDisk(backend).toBuilder().filesystem(fs -> fs.readOnly(probes, "/probe")).build();
        Sandbox s = sandbox(backend, p, b -> b.workspace(ws));
        ExecResult cp = s.exec(Command.shell("cp /bin/sh /workspace/x; chmod 4755 /workspace/x"));
        assertThat(cp.exitCode()).isNotZero();
        assertThat(cp.stderr()).contains("chmod: changing permissions of '/workspace/x': Operation not permitted");
        assertThat(s.exec(Command.shell("chmod g+s /workspace/x")).stderr())
                .contains("chmod: changing permissions of '/workspace/x': Operation not permitted");
        ExecResult install = s.exec(Command.shell("install -m 4755 /bin/sh /workspace/y"));
        assertThat(install.exitCode()).isNotZero();
        assertThat(install.stderr()).contains("Operation not permitted");

        ExecResult r = ok(s.exec(Command.shell("cd /workspace && /probe/attack-probe")));
        Map<String, String> got = probeResults(r);
        for (String call : SET_ID_CALLS) {
            assertThat(got.get(call)).as("%s with a set-id mode: %s", call, r.stdout()).isEqualTo("Operation not permitted");
        }
        assertThat(got.get("openat2")).as("its mode lies in memory no filter reads: ENOSYS").isEqualTo("Function not implemented");
        assertThat(got.get("chmod-plain")).isEqualTo("ok");
        assertThat(got.get("io_uring_setup")).as("denied by the policy").isEqualTo("Operation not permitted");
        assertThat(got.get("unshare-user")).isEqualTo("Operation not permitted");
        assertThat(got.get("clone-newuser")).isEqualTo("Operation not permitted");
        assertThat(got.get("clone3")).as("its flags lie in memory: ENOSYS, so libc falls back to clone")
                .isEqualTo("Function not implemented");
        if (backend.equals("nspawn")) {
            assertThat(got.get("socket-vsock")).as("network none: no vsock").isEqualTo("Operation not permitted");
        }
        assertThat(got.get("socket-unix")).isEqualTo("ok");
        if (got.containsKey("i386-chmod")) {
            for (String call : List.of("i386-chmod", "i386-fchmodat", "i386-creat", "i386-unshare", "i386-io_uring_setup")) {
                assertThat(got.get(call)).as("%s through int 0x80", call).isEqualTo("Operation not permitted");
            }
        }
        assertThat(setIdFiles(ws)).as("no set-id file in the host's workspace").isEmpty();
        assertThat(ws.resolve("probe-g")).as("a creating open with a set-id mode made nothing").doesNotExist();
        assertThat(ws.resolve("probe-n")).doesNotExist();
        if (Files.exists(ws.resolve("y"), LinkOption.NOFOLLOW_LINKS)) {
            assertThat((Integer) Files.getAttribute(ws.resolve("y"), "unix:mode", LinkOption.NOFOLLOW_LINKS) & 06000)
                    .as("install copied, but could not set the bit").isZero();
        }
        assertThat((Integer) Files.getAttribute(ws.resolve("x"), "unix:uid")).as("the sandbox's files are the JVM's on the host")
                .isEqualTo(HostIds.uid());
    }

    @ParameterizedTest
    @ValueSource(strings = {"chroot", "nspawn"})
    void tmpAndTheWorkspaceShareTheOneDiskLimit(String backend) {
        Sandbox s = sandbox(backend, strict(backend).toBuilder().limits(l -> l.disk(DataSize.ofMiB(16))).build());
        ExecResult r = s.exec(Command.shell("dd if=/dev/zero of=/tmp/a bs=1M count=10 2>&1 && echo first-ok;"
                + " dd if=/dev/zero of=/workspace/b bs=1M count=10 2>&1; echo second-status $?"));
        assertThat(r.stdout()).as("10 MiB to /tmp fit").contains("first-ok");
        assertThat(r.stdout()).as("10 MiB more to the workspace do not: %s", r.stdout())
                .contains("No space left on device").doesNotContain("second-status 0");
        assertThat(ok(s.exec(Command.shell("rm /tmp/a && dd if=/dev/zero of=/workspace/c bs=1M count=8 2>&1"))).stdout())
                .as("freed in /tmp, usable in the workspace").doesNotContain("No space");
    }

    /**
     * A fork bomb (under the strict pids limit) and a memory hog (processes that allocate past the strict memory
     * limit again and again, so the OOM killer keeps working) with a 3 s timeout: the result is timedOut, comes
     * back within 2 s of the deadline, and no process of the tree is left.
     */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"chroot, fork-bomb", "chroot, memory-hog", "nspawn, fork-bomb", "nspawn, memory-hog"})
    void aTimeoutHoldsUnderAForkBombAndAMemoryHog(String backend, String load) throws Exception {
        Sandbox s = sandbox(backend, strict(backend).toBuilder().filesystem(fs -> fs.readOnly(probes, "/probe")).build());
        String m = UUID.randomUUID().toString();
        String script = load.equals("fork-bomb") ? "/probe/fork-bomb"
                : "for i in 1 2 3 4; do (while :; do head -c 300m /dev/zero | tail -n 1 >/dev/null; done) & done; wait";
        long start = System.nanoTime();
        ExecResult r = s.exec(Command.shell(script).env(MARK, m).timeout(Duration.ofSeconds(3)));
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        System.out.printf("[RootfsSecurityTest] %s %s: timeout 3 s, returned after %d ms (%s)%n", backend, load, millis, r);
        assertThat(r.timedOut()).as("%s", r).isTrue();
        assertThat(millis).as("returned within 2 s of the 3 s deadline").isLessThan(5000);
        assertThat(HostProbes.processesWithEnv(MARK + "=" + m)).as("processes of the tree once exec() returned").isEmpty();
        assertThat(ok(s.exec(Command.of("echo", "usable"))).stdout()).isEqualTo("usable\n");
    }
}
