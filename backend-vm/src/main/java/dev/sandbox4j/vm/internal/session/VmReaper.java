package dev.sandbox4j.vm.internal.session;

import dev.sandbox4j.spi.SessionLabels;
import dev.sandbox4j.vm.internal.qemu.RuntimeDir;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Removes what VM sandboxes of dead JVMs left: their QEMU and virtiofsd processes (found through the pid
 * files of the labelled runtime directory, and killed only while the pid still belongs to the process
 * recorded: the same start time, or for a pid file without one, a command line that names that directory;
 * so a reused pid is never hit) and the directory, virtiofsd's sockets and lock files with it. Usually the
 * processes died with the JVM already (see Spawner); this catches the rest. Stateless.
 */
public final class VmReaper {
    private VmReaper() {
    }

    public static List<String> reap() {
        List<String> done = new ArrayList<>(reap(RuntimeDir.base()));
        if (Files.isDirectory(RuntimeDir.SHM)) {
            done.addAll(reap(RuntimeDir.SHM));
        }
        return done;
    }

    static List<String> reap(Path base) {
        List<String> done = new ArrayList<>();
        List<Path> dirs = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(base, SessionLabels.NAME_PREFIX + RuntimeDir.KIND + "-*")) {
            s.forEach(dirs::add);
        } catch (IOException e) {
            return done;
        }
        for (Path dir : dirs) {
            Optional<String> session = SessionLabels.sessionOf(dir.getFileName().toString());
            if (session.isEmpty() || SessionLabels.ownerAlive(session.get()) || !Files.isDirectory(dir)) {
                continue;
            }
            for (Path pidFile : pidFiles(dir)) {
                long[] pid = readPid(pidFile);
                if (pid[0] > 0 && killIfOurs(pid[0], pid[1], dir)) {
                    done.add("process " + pid[0] + " (" + pidFile.getFileName().toString().replace(".pid", "") + " of "
                            + dir.getFileName() + ", session " + session.get() + ")");
                }
            }
            deleteTree(dir);
            if (!Files.exists(dir)) {
                done.add("VM runtime directory " + dir + " (session " + session.get() + ")");
            }
        }
        return done;
    }

    private static List<Path> pidFiles(Path dir) {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "*.pid")) {
            s.forEach(out::add);
        } catch (IOException ignored) {
            // nothing to kill
        }
        return out;
    }

    /** {pid, start time} of a pid file ({@link RuntimeDir#writePid}), the start time -1 when it has none; pid -1 when unreadable. */
    private static long[] readPid(Path f) {
        try {
            String[] parts = Files.readString(f, StandardCharsets.US_ASCII).strip().split(" ");
            return new long[] {Long.parseLong(parts[0]), parts.length > 1 ? Long.parseLong(parts[1]) : -1};
        } catch (IOException | NumberFormatException e) {
            return new long[] {-1, -1};
        }
    }

    /**
     * Kills {@code pid} when it is still the process recorded: of start time {@code start}, or (start -1)
     * with a command line that names {@code dir}; true when it did.
     */
    static boolean killIfOurs(long pid, long start, Path dir) {
        if (start >= 0) {
            if (RuntimeDir.startTime(pid).orElse(-2) != start) {
                return false; // gone, or the pid is another process's now
            }
            return ProcessHandle.of(pid).map(ProcessHandle::destroyForcibly).orElse(false);
        }
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
            String cmdline = new String(raw, StandardCharsets.UTF_8).replace('\0', ' ');
            if (!cmdline.contains(dir.toString())) {
                return false;
            }
        } catch (IOException e) {
            return false; // gone
        }
        return ProcessHandle.of(pid).map(ProcessHandle::destroyForcibly).orElse(false);
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // tried again on the next reap
                }
            });
        } catch (IOException ignored) {
            // gone
        }
    }
}
