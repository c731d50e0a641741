package dev.sandbox4j.linux.internal.ns;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.linux.NamespacesBackend;
import dev.sandbox4j.linux.internal.host.HostIds;
import dev.sandbox4j.linux.internal.host.LauncherBinary;
import dev.sandbox4j.linux.internal.plan.HostPath;
import dev.sandbox4j.spi.PinnedPath;
import dev.sandbox4j.spi.SeccompProgram;
import dev.sandbox4j.spi.SyscallTable;
import dev.sandbox4j.testkit.BackendRequirement;
import dev.sandbox4j.testkit.ContractCommands;
import dev.sandbox4j.testkit.HostProbes;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * s4j-launch run directly, for what the API cannot show: its protocol, fd closing, parent death, unprivileged
 * use, the pinned bind sources and the ids it maps.
 */
class LauncherDirectTest {
    /** The host uid the sandboxes here map to: a root launcher refuses root's, one that is not root maps its own. */
    private static final long HOST_ID = HostIds.root() ? 1879113001L : HostIds.uid();

    @TempDir
    Path tmp;
    /** The one syscall table's program for the strict policy, readable by every user. */
    private static Path seccomp;

    @BeforeAll
    static void available() throws IOException {
        BackendRequirement.assumeAvailable(NamespacesBackend.NAME);
        Path dir = Files.createTempDirectory("sandbox4j-launcher-test-");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        seccomp = dir.resolve("seccomp.bpf");
        Files.write(seccomp, SeccompProgram.compile(SyscallTable.forSandbox(IsolationPolicy.strict()), SeccompProgram.Target.HOST).bpf());
        Files.setPosixFilePermissions(seccomp, PosixFilePermissions.fromString("rw-r--r--"));
    }

    @org.junit.jupiter.api.AfterAll
    static void removeProgram() {
        if (seccomp != null) {
            HostProbes.deleteTree(seccomp.getParent());
        }
    }

    /** {@code DEV:INO} of {@code p}, as the launcher takes a bind's pin. */
    static String pin(Path p) {
        try (PinnedPath pinned = PinnedPath.pin(p, "test")) {
            return HostPath.of(pinned).pin();
        }
    }

    /** The launcher's options for a small view of the host's system directories, as the probe uses. */
    private static List<String> view(String... more) throws IOException {
        return view(HOST_ID, more);
    }

    private static List<String> view(long hostId, String... more) throws IOException {
        List<String> a = new ArrayList<>(List.of(LauncherBinary.verifiedPath().toString(), "--user", "1000:1000:" + hostId + ":" + hostId,
                "--seccomp", seccomp.toString(), "--chdir", "/", "--setenv", "PATH=/usr/bin:/bin"));
        for (String name : List.of("usr", "bin", "sbin", "lib", "lib64")) {
            Path p = Path.of("/", name);
            if (Files.isSymbolicLink(p)) {
                a.addAll(List.of("--symlink", Files.readSymbolicLink(p).toString(), "/" + name));
            } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                a.addAll(List.of("--ro-bind", pin(p), p.toString(), "/" + name));
            }
        }
        a.addAll(List.of("--proc", "/proc", "--dev", "/dev"));
        a.addAll(List.of(more));
        return a;
    }

    private static List<String> command(List<String> view, String... argv) {
        List<String> a = new ArrayList<>(view);
        a.add("--");
        a.addAll(List.of(argv));
        return a;
    }

    record Run(int exit, String stdout, String stderr) {
    }

    private static Run run(List<String> argv) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(argv).directory(new File("/"));
        pb.environment().clear();
        Process p = pb.start();
        p.getOutputStream().close();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("%s ended", argv).isTrue();
        return new Run(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
                new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    private static String sh(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    @Test
    void headerThenTheCommandsOutputAndStatus() throws Exception {
        Run ok = run(command(view(), "sh", "-c", "echo out; echo err >&2; exit 7"));
        assertThat(ok.stdout()).matches("S4J-PID \\d+\nS4J-OK\nout\n");
        assertThat(ok.stderr()).isEqualTo("err\n");
        assertThat(ok.exit()).isEqualTo(7);
        assertThat(run(command(view(), "sh", "-c", "kill -TERM $$")).exit()).isEqualTo(128 + 15);
        Run missing = run(command(view(), "no-such-program"));
        assertThat(missing.exit()).isEqualTo(127);
        assertThat(missing.stderr()).isEqualTo("no-such-program: command not found\n");
    }

    @Test
    void setupFailuresExit125NamingTheStep() throws Exception {
        Run bad = run(List.of(LauncherBinary.verifiedPath().toString(), "--bogus", "--", "true"));
        assertThat(bad.exit()).isEqualTo(125);
        assertThat(bad.stdout()).startsWith("S4J-FAIL arguments: unknown flag '--bogus'");
        assertThat(bad.stderr()).startsWith("s4j-launch: arguments: unknown flag '--bogus'");
        Run inside = run(command(view("--tmpfs", "/usr/x", "0", "755"), "true"));
        assertThat(inside.exit()).isEqualTo(125);
        assertThat(inside.stdout()).as("a failure in pid 1 comes after its pid").matches(
                "S4J-PID \\d+\nS4J-FAIL mkdir /usr/x: Read-only file system\n");
        Run chdir = run(command(view("--chdir", "/nowhere"), "true"));
        assertThat(chdir.stdout()).as("a failure in the command's own setup").endsWith("S4J-FAIL chdir /nowhere: No such file or directory\n");
        assertThat(chdir.exit()).isEqualTo(125);
    }

    @Test
    void descriptorsAboveTwoAreClosedBeforeExec() throws Exception {
        String launch = String.join(" ", command(view(), "ls", "/proc/self/fd").stream().map(LauncherDirectTest::sh).toList());
        Run r = run(List.of("/bin/sh", "-c", "exec 5</etc/hostname 7>/dev/null 9</proc/self/status; exec " + launch));
        assertThat(r.stdout().lines().skip(2).toList()).as("fds of ls (3: the directory it lists); 5, 7, 9 were open: %s", r)
                .containsExactly("0", "1", "2", "3");
    }

    @Test
    void argumentsFileIsDeletedAndEnvironmentValuesNeverShowOnTheHost() throws Exception {
        Path args = tmp.resolve("args");
        List<String> all = command(view("--setenv", "TOKEN=hunter2-secret"), "sleep", "30");
        StringBuilder b = new StringBuilder();
        for (String a : all.subList(1, all.size())) {
            b.append(a).append('\0');
        }
        Files.writeString(args, b.toString());
        Process p = new ProcessBuilder(LauncherBinary.verifiedPath().toString(), "--args", args.toString()).start();
        try {
            String first = LauncherProcess.readLine(p.getInputStream());
            assertThat(first).startsWith("S4J-PID ");
            assertThat(LauncherProcess.readLine(p.getInputStream())).isEqualTo("S4J-OK");
            assertThat(Files.exists(args)).as("the arguments file after the launcher read it").isFalse();
            long init = Long.parseLong(first.substring(8));
            for (long pid : List.of(p.pid(), init)) {
                assertThat(HostProbes.commandLine(pid)).as("command line of %d on the host", pid).doesNotContain("hunter2");
            }
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void theSandboxEndsWithItsParentDaemonsToo() throws Exception {
        String mark = UUID.randomUUID().toString();
        String launch = String.join(" ", command(view("--setenv", ContractCommands.MARK + "=" + mark), "sh", "-c",
                "setsid sleep 305 </dev/null >/dev/null 2>&1 & exec sleep 306").stream().map(LauncherDirectTest::sh).toList());
        // the shell is the launcher's parent (no exec: ': ' follows), and the one we kill
        Process parent = new ProcessBuilder("/bin/sh", "-c", launch.replace(sh(LauncherBinary.verifiedPath().toString()),
                sh(LauncherBinary.verifiedPath().toString()) + " --parent-pid $$") + "; :").start();
        String entry = ContractCommands.MARK + "=" + mark;
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (HostProbes.processesWithEnv(entry).size() < 2 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(HostProbes.processesWithEnv(entry)).as("the two sleeps").hasSize(2);
        parent.destroyForcibly();
        assertThat(HostProbes.awaitNoProcessWithEnv(entry, Duration.ofSeconds(5))).isEmpty();
    }

    @Test
    void aDaemonOutlivesTheCommandUntilPidOneIsKilled() throws Exception {
        String mark = UUID.randomUUID().toString();
        Run r = run(command(view("--setenv", ContractCommands.MARK + "=" + mark), "sh", "-c",
                "setsid sleep 307 </dev/null >/dev/null 2>&1 & echo started"));
        assertThat(r.exit()).isZero();
        String entry = ContractCommands.MARK + "=" + mark;
        assertThat(HostProbes.processesWithEnv(entry)).as("the daemon after the command and the launcher ended").hasSize(1);
        long init = Long.parseLong(r.stdout().lines().findFirst().orElseThrow().substring(8));
        ProcessHandle.of(init).orElseThrow().destroyForcibly();
        assertThat(HostProbes.awaitNoProcessWithEnv(entry, Duration.ofSeconds(5))).as("after pid 1 was killed").isEmpty();
    }

    @Test
    void unprivilegedTheSandboxIsTheCallersUserAndCannotJoinAForeignCgroup() throws Exception {
        Assumptions.assumeTrue(HostIds.root(), "needs root to become another user (setpriv)");
        Path dir = Files.createDirectories(tmp.resolve("bin"));
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path launcher = Files.copy(LauncherBinary.verifiedPath(), dir.resolve("s4j-launch"));
        Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("r-xr-xr-x"));
        Path ws = Files.createDirectories(tmp.resolve("ws"));
        Files.setPosixFilePermissions(ws, PosixFilePermissions.fromString("rwx------"));
        Files.setAttribute(ws, "unix:uid", 65534);
        List<String> asNobody = List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--");
        List<String> v = view(65534, "--bind", pin(ws), ws.toString(), "/workspace", "--chdir", "/workspace");
        v.set(0, launcher.toString());
        List<String> argv = new ArrayList<>(asNobody);
        argv.addAll(command(v, "sh", "-c", "id -u; echo hi > made; grep CapEff /proc/self/status"));
        Run r = run(argv);
        assertThat(r.exit()).as("%s", r).isZero();
        assertThat(r.stdout().lines().skip(2).toList()).containsExactly("1000", "CapEff:\t0000000000000000");
        assertThat(Files.getAttribute(ws.resolve("made"), "unix:uid")).as("on the host: the caller's uid").isEqualTo(65534);
        List<String> cg = new ArrayList<>(asNobody);
        v.addAll(List.of("--cgroup-procs", "/sys/fs/cgroup/pids/cgroup.procs"));
        cg.addAll(command(v, "true"));
        Run refused = run(cg);
        assertThat(refused.exit()).isEqualTo(125);
        assertThat(refused.stdout()).isEqualTo("S4J-FAIL open /sys/fs/cgroup/pids/cgroup.procs: Permission denied\n");
    }

    /** chmod(f, 04755) through the i386 (int 0x80), x32 and x86_64 entries; prints each result. */
    private static final String THREE_ABIS = "#include <stdio.h>\n#include <unistd.h>\n"
            + "static char path[] = \"f\";\nint main(void) {\n  long r;\n"
            + "  __asm__ volatile (\"int $0x80\" : \"=a\"(r) : \"a\"(15), \"b\"(path), \"c\"(04755) : \"memory\");\n"
            + "  printf(\"i386 %ld\\n\", r);\n"
            + "  printf(\"x32 %ld\\n\", syscall(0x40000000 | 90, path, 04755) < 0 ? -1L : 0L);\n"
            + "  printf(\"x86_64 %ld\\n\", syscall(90, path, 04755) < 0 ? -1L : 0L);\n  return 0;\n}\n";

    @Test
    void theSetIdGuardCoversEveryAbiWhereTheWorkspaceIsIdmapped() throws Exception {
        Assumptions.assumeTrue(HostIds.root(), "no idmapped workspace unless the JVM is root");
        Assumptions.assumeTrue("x86_64".equals(LauncherBinary.resource().replaceAll(".*linux-([^/]+)/.*", "$1")), "x86 ABIs");
        Path ws = Files.createDirectories(tmp.resolve("ws"));
        Files.writeString(ws.resolve("abi.c"), THREE_ABIS);
        Process cc = new ProcessBuilder("gcc", "-O1", "-static", "-no-pie", "-o", ws.resolve("abi").toString(),
                ws.resolve("abi.c").toString()).redirectErrorStream(true).start();
        String ccOut = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        Assumptions.assumeTrue(cc.waitFor() == 0, "gcc could not build the ABI probe: " + ccOut);
        Files.writeString(ws.resolve("f"), "");
        Run r = run(command(view("--bind-own", pin(ws), ws.toString(), "/w", "--chdir", "/w", "--idmap", "0:0:" + HOST_ID + ":" + HOST_ID),
                "./abi"));
        assertThat(r.stdout().lines().skip(2).toList()).as("%s", r)
                .containsExactly("i386 -" + 1 /* -EPERM */, "x32 -1", "x86_64 -1");
        assertThat((Integer) Files.getAttribute(ws.resolve("f"), "unix:mode") & 06000).isZero();
    }

    @Test
    void aBindSourceIsMountedOnlyWhileItIsThePinnedObject() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("dir"));
        Files.writeString(dir.resolve("f"), "pinned\n");
        String pinned = pin(dir);
        assertThat(run(command(view("--ro-bind", pinned, dir.toString(), "/d"), "cat", "/d/f")).stdout()).endsWith("pinned\n");

        Files.move(dir, tmp.resolve("moved"));
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("f"), "decoy\n");
        Run replaced = run(command(view("--ro-bind", pinned, dir.toString(), "/d"), "cat", "/d/f"));
        assertThat(replaced.exit()).isEqualTo(125);
        assertThat(replaced.stdout()).startsWith("S4J-FAIL bind source " + dir + ": it was replaced since the sandbox was built"
                + " (pinned " + pinned + ", now " + pin(dir) + "); nothing is mounted from it: Stale file handle");

        Files.delete(dir.resolve("f"));
        Files.delete(dir);
        Files.createSymbolicLink(dir, tmp.resolve("moved"));
        Run linked = run(command(view("--ro-bind", pinned, dir.toString(), "/d"), "cat", "/d/f"));
        assertThat(linked.exit()).as("even a link to the pinned directory itself: a source is never resolved through one")
                .isEqualTo(125);
        assertThat(linked.stdout()).startsWith("S4J-FAIL bind source " + dir + ": a component of it is now a symbolic link");
        Path through = dir.resolve("sub");
        Files.createDirectories(tmp.resolve("moved/sub"));
        Run middle = run(command(view("--ro-bind", pin(tmp.resolve("moved/sub")), through.toString(), "/d"), "true"));
        assertThat(middle.stdout()).as("a link in a middle component").startsWith("S4J-FAIL bind source " + through
                + ": a component of it is now a symbolic link");
        assertThat(middle.stderr()).contains("Too many levels of symbolic links");
    }

    @Test
    void theArgumentsNameTheUserAndTheProgramAndARootLauncherNeverMapsTheHostsRoot() throws Exception {
        Run noProgram = run(List.of(LauncherBinary.verifiedPath().toString(), "--user", "1:1:" + HOST_ID + ":" + HOST_ID,
                "--chdir", "/", "--", "true"));
        assertThat(noProgram.exit()).isEqualTo(125);
        assertThat(noProgram.stdout()).startsWith("S4J-FAIL arguments: --user, --seccomp and --chdir are required");
        Run badPin = run(command(view("--ro-bind", "12", "/usr", "/usr"), "true"));
        assertThat(badPin.stdout()).startsWith("S4J-FAIL arguments: a bind's pin is DEV:INO (decimal st_dev and st_ino), not '12'");
        if (HostIds.root()) {
            Run hostRoot = run(command(view(0), "true"));
            assertThat(hostRoot.exit()).isEqualTo(125);
            assertThat(hostRoot.stdout()).startsWith("S4J-FAIL --user 1000:1000:0:0 maps the sandbox to the host's root");
        } else {
            Run other = run(command(view(HostIds.uid() + 1), "true"));
            assertThat(other.stdout()).contains("a launcher that is not root can map only its own");
        }
    }

    @Test
    void asRootTheUserNamespaceIsRootsAndTheCommandIsTheSandboxsHostUid() throws Exception {
        Assumptions.assumeTrue(HostIds.root(), "a launcher that is not root makes a namespace of its own uid");
        Path dir = Files.createDirectories(tmp.resolve("owner"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path src = dir.resolve("owner.c");
        Files.writeString(src, "#include <fcntl.h>\n#include <linux/nsfs.h>\n#include <stdio.h>\n#include <sys/ioctl.h>\n"
                + "int main(void) { unsigned u; int fd = open(\"/proc/self/ns/user\", O_RDONLY);\n"
                + "  if (ioctl(fd, NS_GET_OWNER_UID, &u) < 0) { perror(\"NS_GET_OWNER_UID\"); return 1; }\n"
                + "  printf(\"owner %u\\n\", u); return 0; }\n");
        Process cc = new ProcessBuilder("gcc", "-O1", "-static", "-o", dir.resolve("owner").toString(), src.toString())
                .redirectErrorStream(true).start();
        String ccOut = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        Assumptions.assumeTrue(cc.waitFor() == 0, "gcc: " + ccOut);
        Run r = run(command(view("--ro-bind", pin(dir), dir.toString(), "/o"), "sh", "-c",
                "/o/owner; grep ^Uid: /proc/self/status; cat /proc/self/uid_map"));
        assertThat(r.exit()).as("%s", r).isZero();
        List<String> lines = r.stdout().lines().skip(2).toList();
        assertThat(lines.get(0)).as("as seen inside: root (host uid 0) is unmapped, the overflow uid").isEqualTo("owner 65534");
        assertThat(lines.get(1).split("\\s+")).containsExactly("Uid:", "1000", "1000", "1000", "1000");
        assertThat(lines.get(2).trim().split("\\s+")).containsExactly("1000", Long.toString(HOST_ID), "1");
    }

    @Test
    void theGuardModeNeedsTheProgramAndLoadsIt() throws Exception {
        Run none = run(List.of(LauncherBinary.verifiedPath().toString(), "--guard", "--", "/bin/true"));
        assertThat(none.exit()).isEqualTo(125);
        assertThat(none.stderr()).startsWith("s4j-launch: arguments: --guard takes --seccomp FILE -- PROGRAM [ARG]...");
        Path f = Files.writeString(tmp.resolve("f"), "");
        Run guarded = run(List.of(LauncherBinary.verifiedPath().toString(), "--guard", "--seccomp", seccomp.toString(), "--",
                "/bin/sh", "-c", "chmod 4755 " + f + "; chmod 755 " + f + " && echo plain"));
        assertThat(guarded.stderr()).contains("Operation not permitted");
        assertThat(guarded.stdout()).isEqualTo("plain\n");
        assertThat((Integer) Files.getAttribute(f, "unix:mode") & 06000).isZero();
    }
}
