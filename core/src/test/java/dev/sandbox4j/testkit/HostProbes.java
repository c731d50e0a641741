package dev.sandbox4j.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

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
