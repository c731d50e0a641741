package dev.sandbox4j.linux;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.SandboxBuilder;
import dev.sandbox4j.SandboxEvent;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * What the chroot and nspawn tests share: sandboxes with recorded events, a busybox root file system made
 * on the spot (no download), small C programs compiled by the test, and the host-side leftover checks
 * (processes, mounts, cgroups, temp dirs) of a closed sandbox.
 */
final class RootfsTestSupport {
    final String backend;
    final List<SandboxEvent> events = Collections.synchronizedList(new ArrayList<>());

    RootfsTestSupport(String backend) {
        this.backend = backend;
    }

    Sandbox open(IsolationPolicy policy, UnaryOperator<SandboxBuilder> more) {
        return more.apply(Sandbox.builder().backend(backend).policy(policy).listener(events::add)).build();
    }

    List<SandboxEvent.PolicyViolation> violations() {
        synchronized (events) {
            return events.stream().filter(SandboxEvent.PolicyViolation.class::isInstance)
                    .map(SandboxEvent.PolicyViolation.class::cast).toList();
        }
    }

    /**
     * A root file system of a static busybox and a link per applet (relative, so they resolve inside the
     * root), an /etc with a marker, passwd and group, and a getent script (systemd-nspawn runs
     * /usr/bin/getent inside the root to resolve the user).
     */
    static Path busyboxRootfs(Path dir) throws IOException {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Files.copy(Path.of("/bin/busybox"), bin.resolve("busybox"));
        for (String applet : run(List.of("/bin/busybox", "--list")).split("\n")) {
            if (!applet.isBlank() && !applet.equals("busybox") && !Files.exists(bin.resolve(applet))) {
                Files.createSymbolicLink(bin.resolve(applet.strip()), Path.of("busybox"));
            }
        }
        Path usrBin = Files.createDirectories(dir.resolve("usr/bin"));
        Files.createSymbolicLink(usrBin.resolve("env"), Path.of("../../bin/busybox"));
        Path getent = usrBin.resolve("getent");
        Files.writeString(getent, """
                #!/bin/sh
                # getent DATABASE KEY: enough for systemd-nspawn's user lookup (passwd, group, initgroups)
                PATH=/bin:/usr/bin
                case "$1" in
                  initgroups) gid=$(grep "^$2:" /etc/passwd | head -n 1 | cut -d: -f4); [ -n "$gid" ] && echo "$2 $gid" ;;
                  *) grep -E "^$2:|^[^:]*:[^:]*:$2:" "/etc/$1" | head -n 1 | grep . ;;
                esac
                """);
        getent.toFile().setExecutable(true, false);
        Path etc = Files.createDirectories(dir.resolve("etc"));
        Files.writeString(etc.resolve("rootfs-marker"), "from the rootfs\n");
        Files.writeString(etc.resolve("passwd"), "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n");
        Files.writeString(etc.resolve("group"), "root:x:0:\nnogroup:x:65534:\n");
        return dir;
    }

    /**
     * Compiles {@code source} statically with the host's gcc into {@code out}, readable and executable by
     * all (the sandbox's uid runs it).
     */
    static Path compileStatic(String source, Path out) throws IOException {
        Path c = Files.createTempFile("sandbox4j-test-", ".c");
        try {
            Files.writeString(c, source);
            String result = run(List.of("gcc", "-static", "-O1", "-o", out.toString(), c.toString()));
            assertThat(Files.isExecutable(out)).as("gcc -static produced %s: %s", out, result).isTrue();
            out.toFile().setReadable(true, false);
            out.toFile().setExecutable(true, false);
            return out;
        } finally {
            Files.deleteIfExists(c);
        }
    }

    /**
     * A static program for escape attempts, each printing {@code <call>: <strerror or ok>}:
     * {@code chroot-escape} (mkdir x; chroot x; chdir .. 64 times; chroot .; then reads the file named by
     * argv[2]), {@code unshare} (CLONE_NEWUSER | CLONE_NEWNS), {@code mount} (a tmpfs on argv[2]),
     * {@code ptrace PID}, {@code kill0 PID}, {@code setuid0}, {@code forkbomb} (forks pausing children for
     * ever, reporting the first failed fork). Exit 0 unless an attempt succeeded that
     * should not have (then 3).
     */
    static final String ATTEMPTS_C = """
            #define _GNU_SOURCE
            #include <errno.h>
            #include <fcntl.h>
            #include <sched.h>
            #include <signal.h>
            #include <stdio.h>
            #include <stdlib.h>
            #include <string.h>
            #include <sys/mount.h>
            #include <sys/ptrace.h>
            #include <sys/stat.h>
            #include <unistd.h>
            static int report(const char *what, int rc) {
                printf("%s: %s\\n", what, rc == 0 ? "ok" : strerror(errno));
                fflush(stdout);
                return rc == 0;
            }
            int main(int argc, char **argv) {
                if (argc < 2) return 2;
                const char *op = argv[1];
                int escaped = 0;
                if (!strcmp(op, "chroot-escape")) {
                    mkdir("escape-dir", 0755);
                    if (report("chroot(escape-dir)", chroot("escape-dir"))) {
                        for (int i = 0; i < 64; i++) chdir("..");
                        escaped = report("chroot(.)", chroot("."));
                        if (argc > 2) {
                            int fd = open(argv[2], O_RDONLY);
                            char buf[256] = {0};
                            if (fd >= 0 && read(fd, buf, sizeof buf - 1) > 0) printf("read %s: %s\\n", argv[2], buf);
                        }
                        escaped = 1;
                    }
                } else if (!strcmp(op, "unshare")) {
                    escaped = report("unshare(CLONE_NEWUSER|CLONE_NEWNS)", unshare(CLONE_NEWUSER | CLONE_NEWNS));
                } else if (!strcmp(op, "mount") && argc > 2) {
                    escaped = report("mount(tmpfs)", mount("sandbox4j-test", argv[2], "tmpfs", 0, NULL));
                } else if (!strcmp(op, "ptrace") && argc > 2) {
                    escaped = report("ptrace(PTRACE_ATTACH)", (int) ptrace(PTRACE_ATTACH, (pid_t) atoi(argv[2]), 0, 0));
                } else if (!strcmp(op, "kill0") && argc > 2) {
                    escaped = report("kill(pid, 0)", kill((pid_t) atoi(argv[2]), 0));
                } else if (!strcmp(op, "forkbomb")) {
                    int told = 0;
                    for (;;) {
                        pid_t p = fork();
                        if (p == 0) { for (;;) pause(); }
                        if (p < 0 && !told) { told = 1; report("fork", -1); }
                    }
                } else if (!strcmp(op, "setuid0")) {
                    escaped = report("setuid(0)", setuid(0));
                } else {
                    return 2;
                }
                return escaped ? 3 : 0;
            }
            """;

    /**
     * A busybox root file system with the {@link #ATTEMPTS_C} program at /bin/attempts. Without a static
     * busybox or gcc the calling test is skipped with the fix, or fails when SANDBOX4J_REQUIRE names
     * {@code backend}.
     */
    static Path attemptsRootfs(String prefix, String backend) throws IOException {
        String missing = !Files.isRegularFile(Path.of("/bin/busybox")) ? "busybox-static (apt-get install busybox-static)"
                : HostToolsForTests.onPath("gcc") ? null : "gcc (apt-get install gcc libc6-dev)";
        if (missing != null) {
            String why = "the test's root file system cannot be made without " + missing;
            if (dev.sandbox4j.testkit.BackendRequirement.required(backend)) {
                org.junit.jupiter.api.Assertions.fail(why);
            }
            org.junit.jupiter.api.Assumptions.abort(why);
        }
        Path dir = Files.createTempDirectory(prefix);
        busyboxRootfs(dir);
        compileStatic(ATTEMPTS_C, dir.resolve("bin/attempts"));
        return dir;
    }

    /** In a busybox root: a fork bomb under pids=24 forks until the timeout kills it whole; the sandbox stays usable. */
    void forkBombIsContainedAndKilled(IsolationPolicy policy, Path rootfs) {
        String mark = backend + "-bomb-" + Long.toHexString(System.nanoTime());
        try (Sandbox s = open(policy.toBuilder().limits(l -> l.pids(24)).build(),
                b -> b.image(dev.sandbox4j.SandboxImage.directory(rootfs)))) {
            dev.sandbox4j.ExecResult r = s.exec(dev.sandbox4j.Command.of("attempts", "forkbomb").env("SANDBOX4J_MARK", mark)
                    .timeout(Duration.ofSeconds(5)));
            assertThat(r.timedOut()).as("the bomb forks until it is killed: %s", r).isTrue();
            assertThat(r.stdout()).contains("fork: Resource temporarily unavailable");
            assertThat(dev.sandbox4j.testkit.HostProbes.processesWithEnv("SANDBOX4J_MARK=" + mark))
                    .as("bomb processes after the timeout").isEmpty();
            assertThat(s.exec(dev.sandbox4j.Command.of("echo", "usable")).stdout()).isEqualTo("usable\n");
        }
    }

    /**
     * In a busybox root: the sandbox cannot set a set-id bit in the (idmapped, so root-owned on disk)
     * workspace: the setuid guard fails chmod with EPERM. A set-id file that got there another way (here
     * planted from the host while the sandbox is open) is stripped at close (the core's final sweep).
     */
    void setIdBitsAreRefusedAndStrippedAtClose(IsolationPolicy policy, Path rootfs) throws Exception {
        Path ws = Files.createTempDirectory("sandbox4j-setid-ws-");
        try {
            Path planted = ws.resolve("planted");
            // a caller's workspace: no disk limit (the core bounds only a workspace of its own)
            IsolationPolicy p = policy.toBuilder().limits(l -> l.noDiskLimit()).build();
            try (Sandbox s = open(p, b -> b.image(dev.sandbox4j.SandboxImage.directory(rootfs)).workspace(ws))) {
                dev.sandbox4j.ExecResult made = s.exec(dev.sandbox4j.Command.shell(
                        "cp /bin/attempts ./suid && chmod 6755 ./suid"));
                assertThat(made.stderr()).as("%s", made).contains("chmod: ./suid: Operation not permitted");
                assertThat(made.exitCode()).isEqualTo(1);
                int mode = (Integer) Files.getAttribute(ws.resolve("suid"), "unix:mode", java.nio.file.LinkOption.NOFOLLOW_LINKS);
                assertThat(mode & 06000).as("set-id bits while open, mode %o", mode).isZero();
                assertThat(Files.getAttribute(ws.resolve("suid"), "unix:uid")).as("owned by the JVM's user on disk").isEqualTo(0);
                Files.copy(ws.resolve("suid"), planted);
                Files.setAttribute(planted, "unix:mode", 06755);
                assertThat((Integer) Files.getAttribute(planted, "unix:mode") & 07777).isEqualTo(06755);
            }
            int mode = (Integer) Files.getAttribute(planted, "unix:mode", java.nio.file.LinkOption.NOFOLLOW_LINKS);
            assertThat(mode & 07777).as("set-id bits after close").isEqualTo(0755);
        } finally {
            dev.sandbox4j.testkit.HostProbes.deleteTree(ws);
        }
    }

    /** Looks a program up on the JVM's PATH. */
    static final class HostToolsForTests {
        private HostToolsForTests() {
        }

        static boolean onPath(String name) {
            String path = System.getenv("PATH") == null ? "/usr/bin:/bin" : System.getenv("PATH");
            for (String d : path.split(":")) {
                if (!d.isEmpty() && Files.isExecutable(Path.of(d, name))) {
                    return true;
                }
            }
            return false;
        }
    }

    static String run(List<String> argv) throws IOException {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(2, TimeUnit.MINUTES)) {
                p.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return out;
    }

    /** Host directories (cgroups at any depth below /sys/fs/cgroup, temp dirs) whose name holds {@code token}. */
    static List<Path> hostDirsNamed(String token) {
        List<Path> roots = new ArrayList<>();
        try (Stream<Path> s = Files.list(Path.of("/sys/fs/cgroup"))) {
            s.forEach(roots::add);
        } catch (IOException e) {
            // no cgroup tree
        }
        roots.add(Path.of(System.getProperty("java.io.tmpdir")));
        List<Path> found = new ArrayList<>();
        for (Path root : roots) {
            try (Stream<Path> s = Files.find(root, 8, (p, a) -> a.isDirectory() && p.getFileName() != null
                    && p.getFileName().toString().contains(token))) {
                s.forEach(found::add);
            } catch (IOException | java.io.UncheckedIOException e) {
                // unreadable subtree: not ours
            }
        }
        return found;
    }

    /** Processes of the host whose command line holds {@code token}. */
    static List<String> commandLinesMentioning(String token) {
        List<String> found = new ArrayList<>();
        try (Stream<Path> s = Files.list(Path.of("/proc"))) {
            for (Path p : s.filter(q -> q.getFileName().toString().matches("\\d+")).toList()) {
                String cmd = dev.sandbox4j.testkit.HostProbes.commandLine(Long.parseLong(p.getFileName().toString()));
                if (cmd.contains(token)) {
                    found.add(p.getFileName() + ": " + cmd);
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list /proc", e);
        }
        return found;
    }

    /** Processes of the host whose mount table (in whatever namespace) mentions {@code token}. */
    static List<String> mountsMentioning(String token) {
        return mountTablesWith(line -> line.contains(token));
    }

    /**
     * Processes of the host whose mount table shows the root that the {@code kind} backend built for sandbox
     * {@code id} (its private directory's name holds both; the core's disk storage, named otherwise, does not count).
     */
    static List<String> rootMounts(String kind, String id) {
        return mountTablesWith(line -> line.contains("sandbox4j-" + kind + "-") && line.contains(id));
    }

    private static List<String> mountTablesWith(java.util.function.Predicate<String> line) {
        List<String> found = new ArrayList<>();
        try (Stream<Path> s = Files.list(Path.of("/proc"))) {
            for (Path p : s.filter(q -> q.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    if (Files.readString(p.resolve("mountinfo")).lines().anyMatch(line)) {
                        found.add(p.getFileName() + ": " + dev.sandbox4j.testkit.HostProbes.commandLine(
                                Long.parseLong(p.getFileName().toString())));
                    }
                } catch (IOException | RuntimeException gone) {
                    // exited meanwhile
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list /proc", e);
        }
        return found;
    }

    /** Waits (bounded) until {@code check} returns a non-empty list, and returns what it returned last. */
    static <T> List<T> awaitNonEmpty(java.util.function.Supplier<List<T>> check, Duration max) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        List<T> found = check.get();
        while (found.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(50);
            found = check.get();
        }
        return found;
    }

    /** Waits (bounded) until {@code check} returns an empty list, and returns what it returned last. */
    static <T> List<T> awaitEmpty(java.util.function.Supplier<List<T>> check, Duration max) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        List<T> left = check.get();
        while (!left.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(50);
            left = check.get();
        }
        return left;
    }
}
