package dev.sandbox4j.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sandbox4j.Command;
import dev.sandbox4j.DataSize;
import dev.sandbox4j.ExecException;
import dev.sandbox4j.ExecResult;
import dev.sandbox4j.Execution;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.SandboxBuilder;
import dev.sandbox4j.SyscallPolicy;
import dev.sandbox4j.linux.internal.host.HostIds;
import dev.sandbox4j.testkit.BackendRequirement;
import dev.sandbox4j.testkit.HostProbes;
import java.io.IOException;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The escape classes of issue 12, attacked through the public API against the namespaces and bubblewrap
 * backends, as a root JVM and as one that is not root; every attempt is asserted to fail, and how:
 * <ul>
 *   <li>a host uid of its own: concurrent sandboxes run as different host uids (a root JVM's: neither 65534
 *       nor the JVM's), in user namespaces root owns, which a host process of another uid cannot enter or
 *       reach through /proc/PID/root;</li>
 *   <li>pinned host paths: a command that replaces a mount source inside its workspace (the last component
 *       or one above it, with a link to a host directory or another directory) makes the next exec fail,
 *       naming the mount, and the link's target is never shown;</li>
 *   <li>the one syscall table, loaded always: set-id bits refused (shell, install, python, perl, every
 *       call and the i386 ABI), io_uring, clone(CLONE_NEWUSER), clone3, unshare and AF_VSOCK;</li>
 *   <li>the disk limit: /tmp and the workspace share the one bounded storage.</li>
 * </ul>
 */
class LinuxSecurityTest {
    private static final String MARK = "SANDBOX4J_SECURITY_MARK";
    private static Path probe;

    @TempDir
    Path tmp;
    private final List<Sandbox> open = new ArrayList<>();

    @BeforeAll
    static void compileProbe() throws Exception {
        Path dir = Files.createTempDirectory("sandbox4j-attack-probe-");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path src = dir.resolve("attack-probe.c");
        try (InputStream in = LinuxSecurityTest.class.getResourceAsStream("attack-probe.c")) {
            Files.write(src, in.readAllBytes());
        }
        Path out = dir.resolve("attack-probe");
        gcc(List.of("-O1", "-static", "-no-pie", "-o", out.toString(), src.toString()));
        Path owner = dir.resolve("ns-owner.c");
        try (InputStream in = LinuxSecurityTest.class.getResourceAsStream("ns-owner.c")) {
            Files.write(owner, in.readAllBytes());
        }
        gcc(List.of("-O1", "-o", dir.resolve("ns-owner").toString(), owner.toString()));
        probe = out;
    }

    @org.junit.jupiter.api.AfterAll
    static void removeProbe() {
        if (probe != null) {
            dev.sandbox4j.testkit.HostProbes.deleteTree(probe.getParent());
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

    /** The strict policy, with a disk limit of {@code disk}. */
    private static IsolationPolicy strict(DataSize disk) {
        return enforceable(IsolationPolicy.strict().toBuilder().limits(l -> l.disk(disk)).build());
    }

    /** The strict policy without a disk limit (a caller's workspace, or a read-write mount, excludes one). */
    private static IsolationPolicy strictWithoutDisk() {
        return enforceable(IsolationPolicy.strict().toBuilder().limits(l -> l.noDiskLimit()).build());
    }

    private static IsolationPolicy enforceable(IsolationPolicy p) {
        return TestPolicies.enforceable(p);
    }

    private static ExecResult ok(ExecResult r) {
        assertThat(r.exitCode()).as("%s%nstdout: %s%nstderr: %s", r, r.stdout(), r.stderr()).isZero();
        return r;
    }

    /** The probe's lines as a map from attempt to result. */
    private static Map<String, String> probeResults(ExecResult r) {
        return r.stdout().lines().filter(l -> l.contains(" ")).collect(Collectors.toMap(l -> l.substring(0, l.indexOf(' ')),
                l -> l.substring(l.indexOf(' ') + 1), (a, b) -> a));
    }

    /** Host files with a set-id bit under {@code dir}, never following a link. */
    private static List<Path> setIdFiles(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> {
                try {
                    return ((Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 06000) != 0;
                } catch (IOException e) {
                    return false;
                }
            }).toList();
        }
    }

    /** A host process as {@code uid}:{@code gid} without supplementary groups (setpriv), its status and stderr. */
    private static String[] asUser(int uid, int gid, String... argv) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("setpriv", "--reuid=" + uid, "--regid=" + gid, "--clear-groups", "--"));
        cmd.addAll(List.of(argv));
        Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
        return new String[] {Integer.toString(p.exitValue()), out, err};
    }

    /** The four uids (real, effective, saved, fs) of a host process. */
    private static List<String> uids(long pid) throws IOException {
        String line = Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")).stream()
                .filter(l -> l.startsWith("Uid:")).findFirst().orElseThrow();
        return List.of(line.substring(4).strip().split("\\s+"));
    }

    /**
     * The owners of the user namespace of {@code pid} and of each of its ancestors below ours, innermost first,
     * by NS_GET_OWNER_UID and NS_GET_PARENT (the helper compiled with the probe).
     */
    private static List<String> userNamespaceOwners(long pid) throws Exception {
        Process p = new ProcessBuilder(probe.resolveSibling("ns-owner").toString(), "/proc/" + pid + "/ns/user")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor()).as(out).isZero();
        return out.lines().toList();
    }

    @ParameterizedTest
    @ValueSource(strings = {"namespaces", "bubblewrap"})
    void eachSandboxRunsAsAHostUidOfItsOwnInAUserNamespaceRootOwnsThatNoOtherUidCanEnter(String backend) throws Exception {
        IsolationPolicy p = strict(DataSize.ofMiB(64));
        Sandbox a = sandbox(backend, p);
        Sandbox b = sandbox(backend, p);
        assertThat(ok(a.exec(Command.of("id", "-u"))).stdout()).as("inside: the sandbox's own user, shown as 65534").isEqualTo("65534\n");
        ok(a.exec(Command.shell("echo secret-of-a > /workspace/secret")));
        String ma = UUID.randomUUID().toString();
        String mb = UUID.randomUUID().toString();
        Execution ea = a.start(Command.of("sleep", "60").env(MARK, ma));
        Execution eb = b.start(Command.of("sleep", "60").env(MARK, mb));
        try {
            long pa = HostProbes.awaitProcessWithEnv(MARK + "=" + ma, Duration.ofSeconds(10)).get(0);
            long pb = HostProbes.awaitProcessWithEnv(MARK + "=" + mb, Duration.ofSeconds(10)).get(0);
            List<String> ua = uids(pa);
            List<String> ub = uids(pb);
            assertThat(ua).as("real, effective, saved and fs uid on the host").containsOnly(ua.get(0));
            assertThat(ub).containsOnly(ub.get(0));
            if (!HostIds.root()) {
                assertThat(ua.get(0)).as("a JVM that is not root maps only its own uid").isEqualTo(Integer.toString(HostIds.uid()))
                        .isEqualTo(ub.get(0));
                assertThat(userNamespaceOwners(pa)).containsOnly(Integer.toString(HostIds.uid()));
                return;
            }
            assertThat(ua.get(0)).as("two sandboxes, two host uids").isNotEqualTo(ub.get(0));
            for (String u : List.of(ua.get(0), ub.get(0))) {
                assertThat(u).as("never the host's nobody, never the JVM's (root)").isNotIn("65534", "0");
                assertThat(Long.parseLong(u)).as("from the library's range").isBetween(1879048192L, 1879113727L);
            }
            // the chain of user namespaces below the host's starts with one made while the launcher was root; any
            // nested in it (bwrap's) is owned by the sandbox's own uid: no other uid owns any of them
            for (long pid : new long[] {pa, pb}) {
                List<String> owners = userNamespaceOwners(pid);
                String own = uids(pid).get(0);
                assertThat(owners).as("owners of the user namespaces of %s, innermost first", pid).isNotEmpty().endsWith("0");
                assertThat(owners).containsAnyOf(own, "0").allMatch(o -> o.equals("0") || o.equals(own));
                if (backend.equals("namespaces")) {
                    assertThat(owners).as("the command runs in the root-made one").containsExactly("0");
                }
            }

            String secret = "/proc/" + pa + "/root/workspace/secret";
            for (int uid : new int[] {65534, Integer.parseInt(ub.get(0))}) {
                String[] read = asUser(uid, uid, "cat", secret);
                assertThat(read[0]).as("uid %s reading %s: %s", uid, secret, read[2]).isNotEqualTo("0");
                assertThat(read[2]).contains("Permission denied");
                assertThat(read[1]).doesNotContain("secret-of-a");
                String[] write = asUser(uid, uid, "sh", "-c", "echo planted > /proc/" + pa + "/root/workspace/planted");
                assertThat(write[2]).as("uid %s writing into the sandbox", uid).contains("Permission denied");
                String[] enter = asUser(uid, uid, "nsenter", "--target", Long.toString(pa), "--user", "--mount", "true");
                assertThat(enter[0]).isNotEqualTo("0");
                assertThat(enter[2]).as("uid %s opening the sandbox's user namespace", uid)
                        .contains("cannot open /proc/" + pa + "/ns/user: Permission denied");
                // even handed a descriptor of it (by root), that uid cannot join it: root owns it, not that uid
                String[] handed = asUser(0, 0, "sh", "-c", "exec 3</proc/" + pa + "/ns/user; exec setpriv --reuid=" + uid
                        + " --regid=" + uid + " --clear-groups -- nsenter --user=/proc/self/fd/3 true");
                assertThat(handed[0]).isNotEqualTo("0");
                assertThat(handed[2]).as("uid %s joining the sandbox's user namespace by a descriptor", uid)
                        .contains("reassociate to namespace 'ns/user' failed: Operation not permitted");
            }
            assertThat(ok(a.exec(Command.shell("ls /workspace"))).stdout()).doesNotContain("planted");
        } finally {
            ea.kill();
            eb.kill();
        }
    }

    /**
     * A mount source inside the writable workspace, replaced by the command between two execs: its last
     * component or one above it with a link to a host directory holding a secret, or with another
     * directory. The next exec must not run, naming the mount, and must never show the secret.
     */
    @ParameterizedTest(name = "{0} {1} {2}")
    @CsvSource({"namespaces, ro, last", "namespaces, rw, last", "namespaces, ro, middle", "namespaces, rw, middle",
        "namespaces, rw, other-directory", "bubblewrap, ro, last", "bubblewrap, rw, last", "bubblewrap, ro, middle",
        "bubblewrap, rw, middle", "bubblewrap, ro, other-directory"})
    void aMountSourceReplacedInsideTheWorkspaceIsNeverMountedAgain(String backend, String access, String variant) throws Exception {
        Path ws = Files.createDirectories(tmp.resolve("ws"));
        Path hostDir = Files.createDirectories(tmp.resolve("host-dir/b"));
        Files.writeString(hostDir.resolve("secret"), "TOP-SECRET-OF-THE-HOST\n");
        Path source = variant.equals("middle") ? Files.createDirectories(ws.resolve("a/b")) : Files.createDirectories(ws.resolve("sub"));
        Files.writeString(source.resolve("file"), "the pinned directory\n");
        IsolationPolicy p = strictWithoutDisk().toBuilder().filesystem(fs -> access.equals("rw")
                ? fs.readWrite(source, "/data") : fs.readOnly(source, "/data")).build();
        Sandbox s = sandbox(backend, p, b -> b.workspace(ws));
        assertThat(ok(s.exec(Command.shell("cat /data/file"))).stdout()).isEqualTo("the pinned directory\n");

        String replace = switch (variant) {
            case "last" -> "rm -rf /workspace/sub && ln -s " + hostDir + " /workspace/sub";
            case "middle" -> "mv /workspace/a /workspace/a.old && ln -s " + hostDir.getParent() + " /workspace/a";
            default -> "mv /workspace/sub /workspace/sub.old && mkdir /workspace/sub && echo decoy > /workspace/sub/secret";
        };
        ok(s.exec(Command.shell(replace)));
        assertThat(Files.isSymbolicLink(variant.equals("middle") ? ws.resolve("a") : ws.resolve("sub")))
                .isEqualTo(!variant.equals("other-directory"));

        Command read = Command.shell("cat /data/secret; ls /data");
        String expected = variant.equals("other-directory") ? "it was replaced since the sandbox was built"
                : "a component of it is now a symbolic link";
        if (backend.equals("namespaces")) {
            assertThatThrownBy(() -> s.exec(read)).isInstanceOf(ExecException.class)
                    .hasMessageContaining("the launcher failed at bind source " + source + ": " + expected)
                    .hasMessageContaining("the policy's mount at /data (host " + source + ")")
                    .hasMessageContaining("nothing ran")
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("TOP-SECRET", "decoy"));
        } else {
            ExecResult r = s.exec(read);
            assertThat(r.exitCode()).as("%s: %s", r, r.stderr()).isEqualTo(125);
            assertThat(r.stderr()).contains("s4j-launch: bind source " + source + " (the policy's mount at /data): " + expected);
            assertThat(r.stdout()).isEmpty();
        }
        // every exec fails while the source stays replaced
        if (backend.equals("namespaces")) {
            assertThatThrownBy(() -> s.exec(Command.of("true"))).isInstanceOf(ExecException.class)
                    .hasMessageContaining("bind source " + source);
        } else {
            assertThat(s.exec(Command.of("true")).exitCode()).isEqualTo(125);
        }
    }

    private static final List<String> SET_ID_CALLS = List.of("chmod", "chmod-g", "fchmodat", "fchmodat2", "fchmod", "open-creat",
            "openat-creat", "creat", "mknodat");

    @ParameterizedTest
    @ValueSource(strings = {"namespaces", "bubblewrap"})
    void noSetIdFileReachesTheHostAndTheTableAnswersEveryCallThroughEveryAbi(String backend) throws Exception {
        Path ws = Files.createDirectories(tmp.resolve("ws"));
        IsolationPolicy p = strictWithoutDisk().toBuilder().filesystem(fs -> fs.readOnly(probe.getParent(), "/probe")).build();
        Sandbox s = sandbox(backend, p, b -> b.workspace(ws));
        ExecResult cp = s.exec(Command.shell("cp /bin/sh /workspace/x && chmod 4755 /workspace/x"));
        assertThat(cp.exitCode()).isNotZero();
        assertThat(cp.stderr()).contains("chmod: changing permissions of '/workspace/x': Operation not permitted");
        assertThat(s.exec(Command.shell("chmod g+s /workspace/x")).stderr())
                .contains("chmod: changing permissions of '/workspace/x': Operation not permitted");
        assertThat(s.exec(Command.shell("chmod u+s,g+s /workspace/x")).stderr()).contains("Operation not permitted");
        ExecResult install = s.exec(Command.shell("install -m 4755 /bin/sh /workspace/y"));
        assertThat(install.exitCode()).isNotZero();
        assertThat(install.stderr()).contains("Operation not permitted");
        ExecResult py = s.exec(Command.of("python3", "-c", "import os; os.chmod('/workspace/x', 0o4755)"));
        assertThat(py.stderr()).contains("PermissionError: [Errno 1] Operation not permitted");
        ExecResult pl = s.exec(Command.of("perl", "-e", "chmod(06755, '/workspace/x') or die \"chmod: $!\\n\""));
        assertThat(pl.stderr()).contains("chmod: Operation not permitted");

        ExecResult r = ok(s.exec(Command.shell("cd /workspace && /probe/attack-probe")));
        Map<String, String> got = probeResults(r);
        for (String call : SET_ID_CALLS) {
            assertThat(got.get(call)).as("%s with a set-id mode: %s", call, r.stdout()).isEqualTo("Operation not permitted");
        }
        assertThat(got.get("openat2")).as("its mode lies in memory no filter reads: ENOSYS").isEqualTo("Function not implemented");
        assertThat(got.get("chmod-plain")).isEqualTo("ok");
        assertThat(got.get("io_uring_setup")).as("denied by the policy").isEqualTo("Operation not permitted");
        assertThat(got.get("unshare-user")).isEqualTo("Operation not permitted");
        assertThat(got.get("unshare-net")).isEqualTo("Operation not permitted");
        assertThat(got.get("clone-newuser")).isEqualTo("Operation not permitted");
        assertThat(got.get("clone3")).as("its flags lie in memory: ENOSYS, so libc falls back to clone")
                .isEqualTo("Function not implemented");
        assertThat(got.get("socket-vsock")).as("network none: no vsock").isEqualTo("Operation not permitted");
        assertThat(got.get("socket-unix")).isEqualTo("ok");
        if (got.containsKey("i386-chmod")) {
            for (String call : List.of("i386-chmod", "i386-fchmodat", "i386-creat", "i386-unshare", "i386-socket-vsock",
                    "i386-io_uring_setup")) {
                assertThat(got.get(call)).as("%s through int 0x80", call).isEqualTo("Operation not permitted");
            }
        }
        assertThat(setIdFiles(ws)).as("no set-id file in the host's workspace").isEmpty();
        assertThat(ws.resolve("probe-g")).as("a creating open with a set-id mode made nothing").doesNotExist();
        assertThat(ws.resolve("probe-n")).doesNotExist();
        assertThat((Integer) Files.getAttribute(ws.resolve("x"), "unix:uid")).as("the sandbox's files are the JVM's on the host")
                .isEqualTo(HostIds.uid());
    }

    @ParameterizedTest
    @ValueSource(strings = {"namespaces", "bubblewrap"})
    void withoutASyscallFilterTheSetIdGuardAndTheVsockRuleStillHold(String backend) throws Exception {
        Path ws = Files.createDirectories(tmp.resolve("ws"));
        IsolationPolicy p = strictWithoutDisk().toBuilder().syscalls(SyscallPolicy.allowAll())
                .filesystem(fs -> fs.readOnly(probe.getParent(), "/probe")).build();
        Sandbox s = sandbox(backend, p, b -> b.workspace(ws));
        Map<String, String> got = probeResults(ok(s.exec(Command.shell("cd /workspace && /probe/attack-probe"))));
        for (String call : SET_ID_CALLS) {
            assertThat(got.get(call)).as(call).isEqualTo("Operation not permitted");
        }
        assertThat(got.get("io_uring_setup")).as("the guard's answer: ENOSYS").isEqualTo("Function not implemented");
        assertThat(got.get("socket-vsock")).isEqualTo("Operation not permitted");
        if (got.containsKey("i386-chmod")) {
            assertThat(got.get("i386-chmod")).isEqualTo("Operation not permitted");
            assertThat(got.get("i386-io_uring_setup")).isEqualTo("Function not implemented");
        }
        assertThat(setIdFiles(ws)).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"namespaces", "bubblewrap"})
    void tmpAndTheWorkspaceShareTheOneDiskLimit(String backend) {
        Sandbox s = sandbox(backend, strict(DataSize.ofMiB(16)));
        ExecResult r = s.exec(Command.shell("dd if=/dev/zero of=/tmp/a bs=1M count=10 2>&1 && echo first-ok;"
                + " dd if=/dev/zero of=/workspace/b bs=1M count=10 2>&1; echo second-status $?"));
        assertThat(r.stdout()).as("10 MiB to /tmp fit").contains("first-ok");
        assertThat(r.stdout()).as("10 MiB more to the workspace do not: %s", r.stdout())
                .contains("No space left on device").doesNotContain("second-status 0");
        assertThat(ok(s.exec(Command.shell("rm /tmp/a && dd if=/dev/zero of=/workspace/c bs=1M count=8 2>&1"))).stdout())
                .as("freed in /tmp, usable in the workspace").doesNotContain("No space");
    }
}
