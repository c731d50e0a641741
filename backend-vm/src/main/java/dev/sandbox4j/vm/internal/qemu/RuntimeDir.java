package dev.sandbox4j.vm.internal.qemu;

import dev.sandbox4j.SandboxStartException;
import dev.sandbox4j.spi.SessionLabels;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The private directory of one VM: its sockets, logs and the pid files that let the reaper find its QEMU
 * and virtiofsd after a JVM crash. Named {@code <tmp>/sandbox4j-vm-<session>--<sandboxId>}
 * ({@link SessionLabels#hostName}), mode 0700. Thread-safe.
 */
public final class RuntimeDir implements AutoCloseable {
    public static final String KIND = "vm";
    /** Unix socket paths are limited to 107 bytes; the longest name put in here is "agent.sock" (virtiofsd's: "vfs12/s"). */
    private static final int MAX_SOCKET_DIR = 96;

    /** Guest RAM files go to memory, not to the disk that java.io.tmpdir may be on. */
    public static final Path SHM = Path.of("/dev/shm");

    private final Path dir;
    private Path shm;

    private RuntimeDir(Path dir) {
        this.dir = dir;
    }

    public static Path base() {
        return Path.of(System.getProperty("java.io.tmpdir"));
    }

    /**
     * A directory of the same label in /dev/shm (or this directory when there is no /dev/shm), made on
     * first use and removed with this one: for guest RAM files.
     */
    public synchronized Path shm() {
        if (shm == null) {
            Path d = Files.isDirectory(SHM) ? SHM.resolve(dir.getFileName()) : dir;
            try {
                if (!d.equals(dir)) {
                    Files.createDirectory(d, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                }
            } catch (IOException e) {
                throw new SandboxStartException("cannot create the VM memory directory " + d + ": " + e, e);
            }
            shm = d;
        }
        return shm;
    }

    public static RuntimeDir create(String sandboxId) {
        Path dir = base().resolve(SessionLabels.hostName(KIND, sandboxId)).toAbsolutePath();
        if (dir.toString().length() > MAX_SOCKET_DIR) {
            throw new SandboxStartException("VM runtime directory " + dir + " is too long for unix sockets ("
                    + dir.toString().length() + " > " + MAX_SOCKET_DIR + " characters); set java.io.tmpdir to a shorter path such as /tmp");
        }
        try {
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            return new RuntimeDir(dir);
        } catch (IOException e) {
            throw new SandboxStartException("cannot create the VM runtime directory " + dir + ": " + e, e);
        }
    }

    public Path path() {
        return dir;
    }

    public Path resolve(String name) {
        return dir.resolve(name);
    }

    /**
     * Records a child's pid and its start time as {@code <name>.pid} ({@code "<pid> <start>"}), for the
     * reaper: it kills the pid only while a process of that start time has it, so a reused pid is never hit.
     */
    public void writePid(String name, long pid) {
        try {
            Files.writeString(dir.resolve(name + ".pid"), pid + " " + startTime(pid).orElse(-1), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new SandboxStartException("cannot write the pid file of " + name + " in " + dir + ": " + e, e);
        }
    }

    /**
     * The start time of process {@code pid} (field 22 of {@code /proc/<pid>/stat}, clock ticks since boot);
     * empty when it is gone.
     */
    public static java.util.OptionalLong startTime(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.US_ASCII);
            // the command name (field 2) may hold spaces and parentheses: count from its last ')'
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return java.util.OptionalLong.of(Long.parseLong(f[19]));
        } catch (IOException | RuntimeException e) {
            return java.util.OptionalLong.empty();
        }
    }

    /** The tail of a log file in this directory, for error messages; empty when there is none. */
    public String tail(String name, int maxChars) {
        return tailOf(dir.resolve(name), maxChars);
    }

    static String tailOf(Path file, int maxChars) {
        try {
            byte[] b = Files.readAllBytes(file);
            String s = new String(b, Math.max(0, b.length - maxChars), Math.min(b.length, maxChars), StandardCharsets.UTF_8);
            return s.strip();
        } catch (IOException e) {
            return "";
        }
    }

    @Override
    public synchronized void close() {
        if (shm != null && !shm.equals(dir)) {
            deleteTree(shm);
        }
        deleteTree(dir);
    }

    static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // the reaper retries
                }
            });
        } catch (IOException ignored) {
            // gone already
        }
    }
}
