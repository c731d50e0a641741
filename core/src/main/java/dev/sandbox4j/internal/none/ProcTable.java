package dev.sandbox4j.internal.none;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A snapshot of the host's processes from {@code /proc/<pid>/stat}: pid, state, parent, session and
 * start time. Only on Linux; {@link #available()} says whether /proc can be read.
 */
final class ProcTable {
    private static final Path PROC = Path.of("/proc");

    /** One process: fields 1, 3, 4, 6 and 22 of {@code /proc/<pid>/stat}. */
    record Entry(long pid, char state, long ppid, long sid, long startTicks) {
        boolean zombie() {
            return state == 'Z' || state == 'X' || state == 'x';
        }
    }

    private ProcTable() {
    }

    static boolean available() {
        return Files.isReadable(PROC.resolve("self/stat"));
    }

    /** Every process readable now (processes that end while we read are skipped). */
    static List<Entry> snapshot() {
        List<Entry> all = new ArrayList<>();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(PROC)) {
            for (Path p : dir) {
                String name = p.getFileName().toString();
                if (!name.isEmpty() && Character.isDigit(name.charAt(0))) {
                    read(Long.parseLong(name)).ifPresent(all::add);
                }
            }
        } catch (IOException | RuntimeException e) {
            // /proc vanished or is unreadable: report what we have
        }
        return all;
    }

    /**
     * Clock ticks since boot now, from {@code /proc/uptime} (USER_HZ is 100 on every Linux the JDK runs
     * on); rounded down by one tick so a process started after this call never has an earlier start time.
     */
    static long nowTicks() {
        try {
            String up = Files.readString(PROC.resolve("uptime")).trim().split("\\s+")[0];
            return (long) Math.floor(Double.parseDouble(up) * 100) - 1;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    static Optional<Entry> read(long pid) {
        try {
            String stat = Files.readString(PROC.resolve(Long.toString(pid)).resolve("stat"));
            // the command name (field 2) may hold spaces and parentheses: count from the last ')'
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Optional.of(new Entry(pid, f[0].charAt(0), Long.parseLong(f[1]), Long.parseLong(f[3]),
                    Long.parseLong(f[19])));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
