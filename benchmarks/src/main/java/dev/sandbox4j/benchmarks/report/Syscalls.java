package dev.sandbox4j.benchmarks.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.stream.Stream;

/**
 * Per-syscall figures of SyscallOverhead rows ({@code dd bs=1 count=N} makes 2N system calls), with dd's
 * own time per run read from the {@code ddclock-*.json} files the benchmark wrote: their median is the
 * figure the report uses; the auxiliary counters' mean is the fallback when no file is there.
 */
final class Syscalls {
    /** A dd-clock figure in ns per syscall, and whether it is a median of runs or only a mean. */
    record DdFigure(double nanosPerSyscall, boolean median, int runs) {
    }

    private final Map<String, List<Long>> samples;
    private final Map<String, List<Long>> pairedHost;

    private Syscalls(Map<String, List<Long>> samples, Map<String, List<Long>> pairedHost) {
        this.samples = Map.copyOf(samples);
        this.pairedHost = Map.copyOf(pairedHost);
    }

    static Syscalls readDir(Path dir) throws IOException {
        Map<String, List<Long>> samples = new HashMap<>();
        Map<String, List<Long>> pairedHost = new HashMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.getFileName().toString().matches("ddclock-.*\\.json")).toList()) {
                JsonNode n = new ObjectMapper().readTree(f.toFile());
                String key = key(n.path("backend").asText(), n.path("count").asText());
                samples.put(key, longs(n.path("nanos")));
                if (n.path("hostNanos").size() > 0) {
                    pairedHost.put(key, longs(n.path("hostNanos")));
                }
            }
        }
        return new Syscalls(samples, pairedHost);
    }

    static long calls(JmhRow r) {
        return 2 * Long.parseLong(r.param("count"));
    }

    /** Wall time of the whole exec (ms/op, mean) per syscall, in ns: includes the cost of one exec. */
    static double wallNanosPerSyscall(JmhRow r) {
        return r.mean() * 1e6 / calls(r);
    }

    /**
     * The sandbox's dd time over the host's, run by run: the median of the ratios of each sandbox run to
     * the host run just before it, which cancels load that drifts during the trial. Empty without paired
     * runs (the host row, older results) or when the two lists do not line up.
     */
    OptionalDouble pairedRatio(JmhRow r) {
        String k = key(r.param("backend"), r.param("count"));
        List<Long> sandbox = samples.get(k);
        List<Long> host = pairedHost.get(k);
        if (sandbox == null || host == null || sandbox.isEmpty() || sandbox.size() != host.size()) {
            return OptionalDouble.empty();
        }
        List<Double> ratios = new ArrayList<>();
        for (int i = 0; i < sandbox.size(); i++) {
            ratios.add(sandbox.get(i) / (double) host.get(i));
        }
        List<Double> sorted = ratios.stream().sorted().toList();
        int n = sorted.size();
        return OptionalDouble.of(n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2);
    }

    /**
     * The host's dd runs that alternated with this sandbox's (same trial, same load), per syscall: the
     * fairest denominator for the sandbox's ratio. Empty for the host row and when not recorded.
     */
    Optional<DdFigure> pairedHost(JmhRow r) {
        List<Long> runs = pairedHost.get(key(r.param("backend"), r.param("count")));
        return runs == null || runs.isEmpty() ? Optional.empty() : Optional.of(new DdFigure(median(runs) / calls(r), true, runs.size()));
    }

    /** dd's own copy time per syscall, in ns: the median of the measured runs, else the mean; empty when dd printed no time. */
    Optional<DdFigure> dd(JmhRow r) {
        List<Long> runs = samples.get(key(r.param("backend"), r.param("count")));
        if (runs != null && !runs.isEmpty()) {
            return Optional.of(new DdFigure(median(runs) / calls(r), true, runs.size()));
        }
        OptionalDouble nanos = r.counter("ddNanos");
        OptionalDouble count = r.counter("ddRuns");
        if (nanos.isEmpty() || count.isEmpty() || count.getAsDouble() <= 0) {
            return Optional.empty();
        }
        return Optional.of(new DdFigure(nanos.getAsDouble() / count.getAsDouble() / calls(r), false,
                (int) count.getAsDouble()));
    }

    private static double median(List<Long> values) {
        List<Long> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2.0;
    }

    private static List<Long> longs(JsonNode array) {
        List<Long> out = new ArrayList<>();
        array.forEach(v -> out.add(v.asLong()));
        return out;
    }

    private static String key(String backend, String count) {
        return backend + "\u0000" + count;
    }
}
