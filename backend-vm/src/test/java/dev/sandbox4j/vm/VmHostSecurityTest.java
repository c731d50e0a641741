package dev.sandbox4j.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandbox4j.Command;
import dev.sandbox4j.DataSize;
import dev.sandbox4j.ExecException;
import dev.sandbox4j.ExecResult;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.ProcessPolicy;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.testkit.BackendRequirement;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The host side of the VM backends' security model, attacked from inside real VMs: set-id files (the review's
 * setuid-root escape), the file servers' host uid, the one syscall table in the guest, the disk limit, and
 * timeouts that hold however busy the guest is. Each test asserts how the attempt failed, inside (the errno)
 * and on the host (owners and modes of what reached the workspace, the uids of the virtiofsd processes).
 */
@Timeout(600)
class VmHostSecurityTest {
    /** The library's default host uid range (HostIdAllocator): every sandbox of a root JVM gets one of these. */
    static final long UID_FIRST = 1879048192L;
    static final long UID_LAST = 1879113727L;

    /**
     * Each attempt, with the errno name it got ("OK" when it worked): the set-id calls of every kind, the
     * namespace and io_uring calls, and an AF_VSOCK socket.
     */
    static final String PROBE_C = """
            #define _GNU_SOURCE
            #include <errno.h>
            #include <fcntl.h>
            #include <linux/openat2.h>
            #include <sched.h>
            #include <signal.h>
            #include <stdint.h>
            #include <stdio.h>
            #include <string.h>
            #include <sys/socket.h>
            #include <sys/stat.h>
            #include <sys/syscall.h>
            #include <sys/wait.h>
            #include <unistd.h>

            static char p[4096];
            static const char *at(const char *dir, const char *name) { snprintf(p, sizeof p, "%s/%s", dir, name); return p; }
            static void report(const char *what, long rc) { printf("%s %s\\n", what, rc < 0 ? strerrorname_np(errno) : "OK"); }

            int main(int argc, char **argv) {
                const char *d = argv[1];
                int fd = open(at(d, "plain"), O_CREAT | O_WRONLY, 0755);
                report("create-0755", fd);
                report("chmod-4755", chmod(at(d, "plain"), 04755));
                report("chmod-2755", chmod(at(d, "plain"), 02755));
                report("fchmod-4755", fchmod(fd, 04755));
                report("fchmodat-6755", fchmodat(AT_FDCWD, at(d, "plain"), 06755, 0));
                report("open-creat-4755", open(at(d, "suid"), O_CREAT | O_WRONLY, 04755));
                report("openat-creat-2755", openat(AT_FDCWD, at(d, "sgid"), O_CREAT | O_WRONLY, 02755));
                report("creat-4755", creat(at(d, "creat"), 04755));
                report("mknod-4755", mknod(at(d, "node"), S_IFREG | 04755, 0));
                struct open_how how = {.flags = O_CREAT | O_WRONLY, .mode = 04755};
                report("openat2", syscall(SYS_openat2, AT_FDCWD, at(d, "o2"), &how, sizeof how));
                long c = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
                if (c == 0) _exit(0);
                if (c > 0) waitpid(c, NULL, 0);
                report("clone-newuser", c);
                struct { uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls; } a = {.exit_signal = SIGCHLD};
                c = syscall(SYS_clone3, &a, sizeof a);
                if (c == 0) _exit(0);
                if (c > 0) waitpid(c, NULL, 0);
                report("clone3", c);
                char params[120] = {0};
                report("io_uring_setup", syscall(SYS_io_uring_setup, 1, params));
                report("socket-vsock", socket(40, SOCK_STREAM, 0));
                report("unshare-newuser", unshare(CLONE_NEWUSER));
                return 0;
            }
            """;

    static byte[] probe;

    @BeforeAll
    static void compileProbe(@TempDir Path tmp) throws Exception {
        BackendRequirement.assumeAvailable("microvm");
        Files.writeString(tmp.resolve("probe.c"), PROBE_C);
        Process gcc = new ProcessBuilder("gcc", "-static", "-O2", "-o", tmp.resolve("probe").toString(), tmp.resolve("probe.c").toString())
                .redirectErrorStream(true).start();
        String out = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(gcc.waitFor()).as("gcc: %s", out).isZero();
        probe = Files.readAllBytes(tmp.resolve("probe"));
    }

    /** Strict, but without the disk limit: the workspace is then the caller's, which the test inspects on the host. */
    static IsolationPolicy strictOnCallerWorkspace() {
        return IsolationPolicy.strict().toBuilder().limits(l -> l.noDiskLimit()).build();
    }

    static Path runtimeDir(String sandboxId) throws IOException {
        try (DirectoryStream<Path> s = Files.newDirectoryStream(Path.of(System.getProperty("java.io.tmpdir")),
                "sandbox4j-vm-*--" + sandboxId)) {
            for (Path p : s) {
                return p;
            }
        }
        throw new AssertionError("no runtime directory of sandbox " + sandboxId);
    }

    /** The virtiofsd processes of a sandbox: each started one and the child its namespace sandbox forked. */
    static List<Long> virtiofsdPids(String sandboxId) throws IOException {
        List<Long> out = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(runtimeDir(sandboxId), "virtiofsd-*.pid")) {
            for (Path f : s) {
                long pid = Long.parseLong(Files.readString(f).strip().split(" ")[0]);
                out.add(pid);
                ProcessHandle.of(pid).ifPresent(h -> h.children().forEach(c -> out.add(c.pid())));
            }
        }
        return out;
    }

    /** The Uid (or Gid) line of /proc/PID/status: real, effective, saved, filesystem. */
    static List<Long> ids(long pid, String line) throws IOException {
        for (String l : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (l.startsWith(line + ":")) {
                return Stream.of(l.substring(line.length() + 1).trim().split("\\s+")).map(Long::parseLong).toList();
            }
        }
        throw new AssertionError("no " + line + " line for pid " + pid);
    }

    /** The one host uid that every virtiofsd process of the sandbox runs as (all four ids of each). */
    static long fileServerUid(String sandboxId) throws IOException {
        List<Long> pids = virtiofsdPids(sandboxId);
        assertThat(pids).as("a virtiofsd for /usr and one for the workspace, each with its namespace child").hasSizeGreaterThanOrEqualTo(4);
        long uid = ids(pids.get(0), "Uid").get(0);
        for (long pid : pids) {
            assertThat(ids(pid, "Uid")).as("virtiofsd pid %d", pid).containsOnly(uid);
            assertThat(ids(pid, "Gid")).as("virtiofsd pid %d", pid).containsOnly(uid);
        }
        assertThat(uid).as("never host root, never nobody, one of the library's own").isNotIn(0L, 65534L).isBetween(UID_FIRST, UID_LAST);
        return uid;
    }

    /** Every entry under {@code root}, with its host owner and mode. */
    static Map<Path, long[]> entries(Path root) throws IOException {
        Map<Path, long[]> out = new LinkedHashMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.filter(p -> !p.equals(root)).toList()) {
                long uid = ((Number) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS)).longValue();
                long mode = ((Number) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS)).longValue();
                out.put(root.relativize(p), new long[] {uid, mode});
            }
        }
        return out;
    }

    static void assertNoSetId(Map<Path, long[]> entries) {
        for (Map.Entry<Path, long[]> e : entries.entrySet()) {
            assertThat(e.getValue()[1] & 06000).as("set-id bits of %s (mode %o)", e.getKey(), e.getValue()[1]).isZero();
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"microvm", "qemu"})
    @DisplayName("set-id files: every call that would make one fails with EPERM inside; nothing on the host is set-id or root's;"
            + " what the guest made is the sandbox's own host uid's")
    void setIdFilesNeverReachTheHost(String backend, @TempDir Path ws) throws Exception {
        long fileServer;
        try (Sandbox s = Sandbox.builder().backend(backend).policy(strictOnCallerWorkspace()).workspace(ws).build()) {
            s.files().write("probe", probe);
            // the review's attack, as it was made
            ExecResult cp = s.exec(Command.shell("cp /bin/sh /workspace/x && chmod 4755 /workspace/x; echo $?; chmod g+s /workspace/x;"
                    + " echo $?; stat -c %a /workspace/x"));
            assertThat(cp.stdout()).as("%s", cp.stderr()).isEqualTo("1\n1\n755\n");
            assertThat(cp.stderr()).contains("Operation not permitted");
            ExecResult r = s.exec(Command.shell("chmod 0755 /workspace/probe && mkdir /workspace/t && /workspace/probe /workspace/t"));
            assertThat(r.exitCode()).as("%s", r.stderr()).isZero();
            assertThat(r.stdout()).isEqualTo("""
                    create-0755 OK
                    chmod-4755 EPERM
                    chmod-2755 EPERM
                    fchmod-4755 EPERM
                    fchmodat-6755 EPERM
                    open-creat-4755 EPERM
                    openat-creat-2755 EPERM
                    creat-4755 EPERM
                    mknod-4755 EPERM
                    openat2 ENOSYS
                    clone-newuser EPERM
                    clone3 ENOSYS
                    io_uring_setup EPERM
                    socket-vsock EPERM
                    unshare-newuser EPERM
                    """);

            fileServer = fileServerUid(s.id());
            assertThat(Files.getAttribute(ws, "unix:uid")).as("the workspace is the sandbox's for its life").isEqualTo((int) fileServer);
            Map<Path, long[]> inside = entries(ws);
            assertThat(inside.keySet()).contains(Path.of("x"), Path.of("t"), Path.of("t/plain"), Path.of("probe"))
                    .doesNotContain(Path.of("t/suid"), Path.of("t/sgid"), Path.of("t/creat"), Path.of("t/node"), Path.of("t/o2"));
            assertNoSetId(inside);
            for (Map.Entry<Path, long[]> e : inside.entrySet()) {
                assertThat(e.getValue()[0]).as("host owner of %s, which the guest (or the files API) made", e.getKey())
                        .isEqualTo(fileServer);
            }
        }
        // closed: the caller's workspace and what the sandbox left in it are the caller's again
        assertThat(Files.getAttribute(ws, "unix:uid")).isEqualTo(0);
        Map<Path, long[]> after = entries(ws);
        assertNoSetId(after);
        assertThat(after.values()).allSatisfy(v -> assertThat(v[0]).isNotEqualTo(fileServer));
    }

    /** The probe's lines as attempt -> errno name. */
    static Map<String, String> attempts(String stdout) {
        Map<String, String> out = new LinkedHashMap<>();
        stdout.lines().map(l -> l.split(" ")).forEach(f -> out.put(f[0], f[1]));
        return out;
    }

    @Test
    @DisplayName("a policy without a syscall filter: the set-id guard and the vsock rule still hold in the guest")
    void guardWithoutPolicyFilter() throws Exception {
        IsolationPolicy p = IsolationPolicy.strict().toBuilder().syscalls(dev.sandbox4j.SyscallPolicy.allowAll()).build();
        try (Sandbox s = Sandbox.builder().backend("microvm").policy(p).build()) {
            s.files().write("probe", probe);
            ExecResult r = s.exec(Command.shell("chmod 0755 /workspace/probe && mkdir /workspace/t && /workspace/probe /workspace/t"));
            assertThat(r.exitCode()).as("%s", r.stderr()).isZero();
            Map<String, String> a = attempts(r.stdout());
            assertThat(a).containsEntry("create-0755", "OK").containsEntry("chmod-4755", "EPERM").containsEntry("chmod-2755", "EPERM")
                    .containsEntry("fchmod-4755", "EPERM").containsEntry("fchmodat-6755", "EPERM").containsEntry("open-creat-4755", "EPERM")
                    .containsEntry("openat-creat-2755", "EPERM").containsEntry("creat-4755", "EPERM").containsEntry("mknod-4755", "EPERM")
                    .containsEntry("openat2", "ENOSYS").containsEntry("io_uring_setup", "ENOSYS").containsEntry("socket-vsock", "EPERM");
            assertThat(a.get("clone3")).as("clone3 is the policy's to refuse, and this one refuses nothing").isEqualTo("OK");
        }
    }

    @Test
    @DisplayName("virtiofsd serves the core's private nosuid,nodev binds of the pinned paths, read-only mounts too, never the path a"
            + " sandbox could swap")
    void sharesAreEngineSources(@TempDir Path ws, @TempDir Path data) throws Exception {
        Files.writeString(data.resolve("file.txt"), "host data\n");
        Files.setPosixFilePermissions(data, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        IsolationPolicy p = strictOnCallerWorkspace().toBuilder().filesystem(f -> f.readOnly(data, "/mnt/data")).build();
        try (Sandbox s = Sandbox.builder().backend("microvm").policy(p).workspace(ws).build()) {
            ExecResult r = s.exec(Command.shell("cat /mnt/data/file.txt; echo x > /mnt/data/new; echo $?; grep -E ' /(workspace|mnt/data) ' /proc/mounts"));
            assertThat(r.stdout()).as("%s", r.stderr()).startsWith("host data\n2\n").contains("/workspace virtiofs rw,nosuid,nodev")
                    .contains("/mnt/data virtiofs ro,nosuid,nodev");
            List<String> sources = new ArrayList<>();
            try (DirectoryStream<Path> d = Files.newDirectoryStream(runtimeDir(s.id()), "virtiofsd-*.pid")) {
                for (Path f : d) {
                    String cmdline = Files.readString(Path.of("/proc", Files.readString(f).strip().split(" ")[0], "cmdline")).replace('\0', ' ');
                    sources.add(cmdline.replaceAll(".*-o source=(\\S+).*", "$1").strip());
                }
            }
            assertThat(sources).hasSize(3).contains("/usr").filteredOn(src -> !src.equals("/usr"))
                    .allSatisfy(src -> assertThat(src).startsWith("/run/sandbox4j/sandbox4j-st-"));
            assertThat(String.join(" ", sources)).doesNotContain(ws.toString()).doesNotContain(data.toString());
        }
        assertThat(data.resolve("new")).doesNotExist();
    }

    @Test
    @DisplayName("guest root (uid 0 in the policy) writes the workspace as the sandbox's host uid, never as host root")
    void guestRootIsNotHostRoot(@TempDir Path ws) throws Exception {
        IsolationPolicy root = strictOnCallerWorkspace().toBuilder()
                .process(new ProcessPolicy(true, OptionalInt.of(0), true, true, Set.of())).build();
        try (Sandbox s = Sandbox.builder().backend("microvm").policy(root).workspace(ws).build()) {
            ExecResult r = s.exec(Command.shell("id -u; echo x > /workspace/by-root; mkdir /workspace/d; stat -c %u /workspace/by-root;"
                    + " chown 0:0 /workspace/by-root; echo chown=$?"));
            assertThat(r.stdout()).as("%s", r.stderr()).startsWith("0\n0\n").endsWith("chown=0\n");
            long fileServer = fileServerUid(s.id());
            assertThat(Files.getAttribute(ws.resolve("by-root"), "unix:uid")).isEqualTo((int) fileServer);
            assertThat(Files.getAttribute(ws.resolve("d"), "unix:uid")).isEqualTo((int) fileServer);
        }
    }

    @Test
    @DisplayName("the files API makes files of the sandbox's host uid, which the guest's user can then change")
    void filesApiHandsOver() throws Exception {
        try (Sandbox s = Sandbox.builder().backend("microvm").build()) {
            s.files().write("dir/api.txt", "from the host\n".getBytes(StandardCharsets.UTF_8));
            ExecResult r = s.exec(Command.shell("echo from the guest >> /workspace/dir/api.txt && stat -c '%u %a' /workspace/dir/api.txt"
                    + " /workspace/dir"));
            assertThat(r.stdout()).as("%s", r.stderr()).isEqualTo("65534 644\n65534 755\n");
            assertThat(new String(s.files().read("dir/api.txt"), StandardCharsets.UTF_8)).isEqualTo("from the host\nfrom the guest\n");
        }
    }

    @Test
    @DisplayName("two VM sandboxes at once: their file servers run as two different host uids of the library's own")
    void twoSandboxesTwoUids() throws Exception {
        try (Sandbox a = Sandbox.builder().backend("microvm").build(); Sandbox b = Sandbox.builder().backend("microvm").build()) {
            assertThat(a.exec(Command.of("id", "-u")).stdout()).isEqualTo("65534\n");
            assertThat(b.exec(Command.of("id", "-u")).stdout()).isEqualTo("65534\n");
            assertThat(fileServerUid(a.id())).isNotEqualTo(fileServerUid(b.id()));
        }
    }

    @Test
    @DisplayName("limits.disk 16m: writing 20m into the workspace fails inside with ENOSPC")
    void diskLimit() {
        IsolationPolicy p = IsolationPolicy.strict().toBuilder().limits(l -> l.disk(DataSize.ofMiB(16))).build();
        try (Sandbox s = Sandbox.builder().backend("microvm").policy(p).build()) {
            ExecResult r = s.exec(Command.shell("dd if=/dev/zero of=/workspace/big bs=1M count=20"));
            assertThat(r.exitCode()).as("%s", r).isNotZero();
            assertThat(r.stderr()).contains("No space left on device");
            // the guest's /tmp is its own RAM, not the host's disk
            assertThat(s.exec(Command.shell("dd if=/dev/zero of=/tmp/big bs=1M count=20 2>/dev/null && echo ok")).stdout()).isEqualTo("ok\n");
        }
    }

    /**
     * A timeout holds however busy the guest is: the result comes back, timed out, soon after the deadline
     * (the bound here is generous for a loaded TCG host; the 2 s target is a benchmark's). The sandbox is
     * then either still usable (the agent confirmed the kill) or says that its VM was stopped.
     */
    static void assertTimeoutHeld(Sandbox s, String script, Duration timeout) {
        long t0 = System.nanoTime();
        ExecResult r = s.exec(Command.shell(script).timeout(timeout));
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        assertThat(r.timedOut()).as("%s %s", r, r.stderr()).isTrue();
        assertThat(took).as("the result came back after %s", took).isLessThan(timeout.plusSeconds(10));
        try {
            assertThat(s.exec(Command.of("echo", "alive")).stdout()).isEqualTo("alive\n");
        } catch (ExecException e) {
            assertThat(e).hasMessageContaining("did not confirm the kill").hasMessageContaining("open a new one");
            assertThatThrownBy(() -> s.exec(Command.of("true"))).isInstanceOf(ExecException.class).hasMessageContaining("is gone");
        }
    }

    @Test
    @DisplayName("a fork bomb under pids 64 and a 5 s timeout: the result comes back, timed out, soon after the deadline")
    void forkBombTimeout() {
        IsolationPolicy p = IsolationPolicy.strict().toBuilder().limits(l -> l.pids(64)).build();
        try (Sandbox s = Sandbox.builder().backend("microvm").policy(p).build()) {
            assertTimeoutHeld(s, "b() { b | b & }; b; sleep 60", Duration.ofSeconds(5));
        }
    }

    @Test
    @DisplayName("a memory hog and a 5 s timeout: the result comes back, timed out, soon after the deadline")
    void memoryHogTimeout() {
        IsolationPolicy p = IsolationPolicy.strict().toBuilder().limits(l -> l.memory(DataSize.ofMiB(256))).build();
        try (Sandbox s = Sandbox.builder().backend("microvm").policy(p).build()) {
            assertTimeoutHeld(s, "while :; do head -c 200000000 /dev/zero | tail -n 1 > /dev/null; done", Duration.ofSeconds(5));
        }
    }
}
