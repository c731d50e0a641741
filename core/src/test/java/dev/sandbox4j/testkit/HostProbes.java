package dev.sandbox4j.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * What the contract kit looks at on the host side: processes found by a marker in their environment or
 * command line, the JVM's heap, host files made to be looked for from inside. Stateless and thread-safe.
 */
public final class HostProbes {
    private static final SecureRandom RANDOM = new SecureRandom();

    private HostProbes() {
    }

    /**
     * The host pids whose environment holds exactly {@code entry} ({@code NAME=value}). Reading another
     * user's environ needs root or the same user; processes that vanish while scanned are skipped.
     */
    public static List<Long> processesWithEnv(String entry) {
        byte[] needle = entry.getBytes(StandardCharsets.UTF_8);
        List<Long> found = new ArrayList<>();
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString().matches("\\d+"))) {
            for (Path proc : procs) {
                byte[] env;
                try {
                    env = Files.readAllBytes(proc.resolve("environ"));
                } catch (IOException | SecurityException gone) {
                    continue;
                }
                if (containsEntry(env, needle)) {
                    found.add(Long.parseLong(proc.getFileName().toString()));
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list the host's /proc: " + e, e);
        }
        return found;
    }

    /**
     * Polls {@link #processesWithEnv} until none is left or {@code max} passed; returns what is left (empty:
     * all gone). Killing is asynchronous, so a short bounded wait is part of the rule, not a timing assertion.
     */
    public static List<Long> awaitNoProcessWithEnv(String entry, Duration max) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        List<Long> left = processesWithEnv(entry);
        while (!left.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(50);
            left = processesWithEnv(entry);
        }
        return left;
    }

    /**
     * Polls {@link #processesWithEnv} until at least one process holds {@code entry} or {@code max} passed;
     * returns what was found (empty: none appeared, as for a backend whose commands run in a guest kernel).
     */
    public static List<Long> awaitProcessWithEnv(String entry, Duration max) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        List<Long> found = processesWithEnv(entry);
        while (found.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(50);
            found = processesWithEnv(entry);
        }
        return found;
    }

    /**
     * Polls the host's /proc until a process whose command line (NULs as spaces) is exactly {@code commandLine}
     * appears or {@code max} passed; returns those found (empty: none, as for a backend whose commands run in a
     * guest kernel). A launcher whose argv merely ends with the same words does not match.
     */
    public static List<Long> awaitProcessWithCommandLine(String commandLine, Duration max) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        List<Long> found = processesWithCommandLine(commandLine);
        while (found.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(50);
            found = processesWithCommandLine(commandLine);
        }
        return found;
    }

    private static List<Long> processesWithCommandLine(String commandLine) {
        List<Long> found = new ArrayList<>();
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString().matches("\\d+"))) {
            for (Path proc : procs) {
                long pid = Long.parseLong(proc.getFileName().toString());
                if (commandLine(pid).equals(commandLine)) {
                    found.add(pid);
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list the host's /proc: " + e, e);
        }
        return found;
    }

    /**
     * A host process's credentials from {@code /proc/<pid>/status}: real, effective, saved and file-system
     * uid and gid.
     */
    public record ProcessIds(long pid, List<Integer> uids, List<Integer> gids) {
        /** Every one of the eight ids. */
        public List<Integer> all() {
            List<Integer> all = new ArrayList<>(uids);
            all.addAll(gids);
            return all;
        }
    }

    /** The ids of a host process, or empty when it is gone. */
    public static Optional<ProcessIds> ids(long pid) {
        List<String> lines;
        try {
            lines = Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"));
        } catch (IOException e) {
            return Optional.empty();
        }
        List<Integer> uids = List.of();
        List<Integer> gids = List.of();
        for (String line : lines) {
            if (line.startsWith("Uid:")) {
                uids = Arrays.stream(line.substring(4).trim().split("\\s+")).map(Integer::valueOf).toList();
            } else if (line.startsWith("Gid:")) {
                gids = Arrays.stream(line.substring(4).trim().split("\\s+")).map(Integer::valueOf).toList();
            }
        }
        return Optional.of(new ProcessIds(pid, uids, gids));
    }

    /** This JVM's effective uid, from /proc/self/status. */
    public static int jvmUid() {
        return ids(ProcessHandle.current().pid()).orElseThrow().uids().get(1);
    }

    /** Whether this JVM runs as root (then the core gives each sandbox a host uid of its own). */
    public static boolean jvmIsRoot() {
        return jvmUid() == 0;
    }

    /** What a host command printed (stdout and stderr together) and its exit status. */
    public record HostRun(int exitCode, String output) {
    }

    /**
     * Runs {@code argv} on the host as {@code uid}:{@code gid} with no supplementary groups (util-linux's
     * {@code setpriv}; the JVM must be root), waiting at most a minute.
     */
    public static HostRun runAs(int uid, int gid, String... argv) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("setpriv", "--reuid=" + uid, "--regid=" + gid, "--clear-groups", "--"));
        cmd.addAll(List.of(argv));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(1, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IOException("host command " + cmd + " did not end within a minute; output so far: " + out);
        }
        return new HostRun(p.exitValue(), out);
    }

    /** Whether util-linux's setpriv is on the host's PATH (it runs host commands as another user). */
    public static boolean hasSetpriv() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "setpriv"))) {
                return true;
            }
        }
        return false;
    }

    /** A description of each pid (its command line), for failure messages. */
    public static String describe(List<Long> pids) {
        StringBuilder sb = new StringBuilder();
        for (long pid : pids) {
            sb.append("\n  pid ").append(pid).append(": ").append(commandLine(pid));
        }
        return sb.toString();
    }

    /** A process's command line with NULs as spaces, or a note why it cannot be read. */
    public static String commandLine(long pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")), StandardCharsets.UTF_8)
                    .replace('\0', ' ').strip();
        } catch (IOException e) {
            return "(gone: " + e.getMessage() + ")";
        }
    }

    /**
     * Starts a host {@code sleep} whose command line holds a unique token ({@code 300.<digits>}, which
     * coreutils' sleep takes as seconds); the caller destroys it. Returns the process and its token.
     */
    public static HostProcess startMarkedSleep() throws IOException {
        String token = "300." + (100_000_000 + RANDOM.nextInt(900_000_000));
        Process p = new ProcessBuilder("sleep", token).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        return new HostProcess(p, token);
    }

    /** A host process started by a probe, with the token in its command line; close() destroys it. */
    public record HostProcess(Process process, String token) implements AutoCloseable {
        public long pid() {
            return process.pid();
        }

        @Override
        public void close() {
            process.destroyForcibly();
        }
    }

    /** The JVM's used heap after a full collection, in bytes. */
    public static long usedHeapAfterGc() {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return rt.totalMemory() - rt.freeMemory();
    }

    /** A world-readable host file with {@code content} in {@code dir}, named with a unique token. */
    public static Path secretFile(Path dir, String content) throws IOException {
        Path f = dir.resolve("sandbox4j-contract-secret-" + Long.toHexString(RANDOM.nextLong()));
        Files.writeString(f, content);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
        return f;
    }

    /** A host directory that anyone may write (so only a read-only mount can stop a write), with one file. */
    public static Path worldWritableDir(Path parent, String fileName, String content) throws IOException {
        Path d = Files.createTempDirectory(parent, "sandbox4j-contract-ro-");
        Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path f = d.resolve(fileName);
        Files.writeString(f, content);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-rw-rw-"));
        return d;
    }

    /**
     * The regular files under {@code root} (not following links) with S_ISUID or S_ISGID, each as
     * {@code path (mode 0NNNN, uid N)}; empty when none, or when {@code root} does not exist.
     */
    public static List<String> setIdFiles(Path root) throws IOException {
        List<String> found = new ArrayList<>();
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return found;
        }
        try (var walk = Files.walk(root)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                int mode;
                int uid;
                try {
                    if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                        continue;
                    }
                    mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
                    uid = (Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
                } catch (IOException gone) {
                    continue;
                }
                if ((mode & 06000) != 0) {
                    found.add(p + " (mode 0" + Integer.toOctalString(mode & 07777) + ", uid " + uid + ")");
                }
            }
        }
        return found;
    }

    /** The permission bits and set-id bits of {@code p} (07777), not following a link. */
    public static int mode(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
    }

    /** The owner uid of {@code p}, not following a link. */
    public static int owner(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
    }

    /** Deletes a directory tree made by a probe; best effort, for cleanup in finally blocks. */
    public static void deleteTree(Path root) {
        if (root == null || !Files.exists(root)) {
            return;
        }
        try (var walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort: a leftover test file must not hide the test's own failure
                }
            });
        } catch (IOException ignored) {
            // same
        }
    }

    private static boolean containsEntry(byte[] env, byte[] needle) {
        int start = 0;
        for (int i = 0; i <= env.length; i++) {
            if (i == env.length || env[i] == 0) {
                if (i - start == needle.length && Arrays.equals(env, start, i, needle, 0, needle.length)) {
                    return true;
                }
                start = i + 1;
            }
        }
        return false;
    }
}
