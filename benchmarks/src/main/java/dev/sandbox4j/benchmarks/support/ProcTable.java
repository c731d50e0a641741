package dev.sandbox4j.benchmarks.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A snapshot of the host's process table from /proc, and the resident memory of one process from
 * {@code /proc/PID/smaps_rollup}. Processes are keyed by pid and start time, so a pid reused between two
 * snapshots is a different process.
 */
public final class ProcTable {
    /** A process as /proc showed it. */
    public record Proc(long pid, long ppid, long startTicks, String comm, String cmdline) {
        public Key key() {
            return new Key(pid, startTicks);
        }
    }

    /** A process's identity across snapshots. */
    public record Key(long pid, long startTicks) {
    }

    /** Resident memory of one process, in KiB: Rss counts shared pages fully, Pss divides them among sharers. */
    public record Memory(long rssKiB, long pssKiB) {
    }

    private ProcTable() {
    }

    public static Map<Key, Proc> snapshot() {
        Map<Key, Proc> out = new LinkedHashMap<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString().matches("[0-9]+"))) {
            for (Path d : dirs) {
                read(d).ifPresent(p -> out.put(p.key(), p));
            }
        } catch (IOException e) {
            throw new IllegalStateException("reading /proc failed: " + e, e);
        }
        return out;
    }

    /** Empty when the process is gone, or is a kernel thread / zombie with nothing mapped. */
    public static Optional<Memory> memory(long pid) {
        try {
            long rss = -1;
            long pss = -1;
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/smaps_rollup"), StandardCharsets.UTF_8)) {
                if (line.startsWith("Rss:")) {
                    rss = kib(line);
                } else if (line.startsWith("Pss:")) {
                    pss = kib(line);
                }
            }
            return rss < 0 || pss < 0 ? Optional.empty() : Optional.of(new Memory(rss, pss));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static long kib(String line) {
        String[] f = line.trim().split("\\s+");
        return Long.parseLong(f[1]);
    }

    private static Optional<Proc> read(Path dir) {
        try {
            String stat = Files.readString(dir.resolve("stat"), StandardCharsets.UTF_8);
            // comm may hold spaces and parentheses: the fields after it start after the last ')'
            int open = stat.indexOf('(');
            int close = stat.lastIndexOf(')');
            String comm = stat.substring(open + 1, close);
            String[] f = stat.substring(close + 2).split(" ");
            if (f[0].equals("Z") || f[0].equals("X")) {
                return Optional.empty();
            }
            long ppid = Long.parseLong(f[1]);
            long start = Long.parseLong(f[19]);
            String cmdline = Files.readString(dir.resolve("cmdline"), StandardCharsets.UTF_8).replace('\0', ' ').strip();
            return Optional.of(new Proc(Long.parseLong(dir.getFileName().toString()), ppid, start, comm, cmdline));
        } catch (IOException | RuntimeException e) {
            // it exited while we read it
            return Optional.empty();
        }
    }
}
