package dev.sandbox4j.benchmarks.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/** Reads JMH's JSON result files ({@code -rf json}) into {@link JmhRow}s, and finds rows in them. */
public final class JmhResults {
    private final List<JmhRow> rows;

    JmhResults(List<JmhRow> rows) {
        this.rows = List.copyOf(rows);
    }

    /** Every {@code jmh-*.json} in {@code dir}, in name order. */
    public static JmhResults readDir(Path dir) throws IOException {
        List<JmhRow> rows = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.getFileName().toString().matches("jmh-.*\\.json")).sorted().toList()) {
                rows.addAll(read(f));
            }
        }
        return new JmhResults(rows);
    }

    static List<JmhRow> read(Path file) throws IOException {
        JsonNode root = new ObjectMapper().readTree(file.toFile());
        List<JmhRow> out = new ArrayList<>();
        if (root == null || !root.isArray()) {
            return out;
        }
        for (JsonNode e : root) {
            String full = e.path("benchmark").asText();
            String[] parts = full.split("\\.");
            String benchmark = parts.length >= 2 ? parts[parts.length - 2] : full;
            Map<String, String> params = new LinkedHashMap<>();
            e.path("params").properties().forEach(f -> params.put(f.getKey(), f.getValue().asText()));
            JsonNode pm = e.path("primaryMetric");
            double median = pm.path("scorePercentiles").path("50.0").asDouble(Double.NaN);
            double error = pm.path("scoreError").isNumber() ? pm.path("scoreError").asDouble() : Double.NaN;
            Map<String, Double> secondary = new LinkedHashMap<>();
            for (Map.Entry<String, JsonNode> s : e.path("secondaryMetrics").properties()) {
                secondary.put(s.getKey(), s.getValue().path("score").asDouble(Double.NaN));
            }
            out.add(new JmhRow(benchmark, params, e.path("mode").asText(), median, pm.path("score").asDouble(Double.NaN),
                    error, pm.path("scoreUnit").asText(), samples(pm), secondary, file.getFileName().toString()));
        }
        return out;
    }

    /** Timed invocations from the histogram (sample mode), else the number of iterations. */
    private static long samples(JsonNode pm) {
        long n = 0;
        if (pm.has("rawDataHistogram")) {
            for (JsonNode fork : pm.path("rawDataHistogram")) {
                for (JsonNode iteration : fork) {
                    for (JsonNode bucket : iteration) {
                        n += bucket.path(1).asLong();
                    }
                }
            }
            return n;
        }
        for (JsonNode fork : pm.path("rawData")) {
            n += fork.size();
        }
        return n;
    }

    public List<JmhRow> rows() {
        return rows;
    }

    public List<JmhRow> of(String benchmark) {
        return rows.stream().filter(r -> r.benchmark().equals(benchmark)).toList();
    }

    /** The row of {@code benchmark} whose parameter {@code name} is {@code value} (and {@code count}, if given). */
    public Optional<JmhRow> find(String benchmark, String name, String value) {
        return of(benchmark).stream().filter(r -> r.param(name).equals(value)).findFirst();
    }

    public Optional<JmhRow> find(String benchmark, String name, String value, String count) {
        return of(benchmark).stream().filter(r -> r.param(name).equals(value) && r.param("count").equals(count)).findFirst();
    }
}
