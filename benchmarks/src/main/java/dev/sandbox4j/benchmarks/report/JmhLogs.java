package dev.sandbox4j.benchmarks.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What JMH's console logs ({@code jmh-*.log}) say beyond its JSON: the benchmarks that failed (JMH leaves a
 * failed benchmark out of its JSON and goes on, so without this a failure would silently vanish from the
 * report) and what the benchmarks printed about themselves (the bwrap baseline's recorded option count).
 * A failure is the {@code # Benchmark:} and {@code # Parameters:} header before a line ending in
 * {@code <failure>}, and the first line of the exception after it. JMH keeps the iterations completed
 * before a failure in its JSON, so a failed benchmark may also have a (partial) row in the tables.
 */
final class JmhLogs {
    record Failure(String benchmark, String parameters, String message) {
    }

    private static final Pattern BWRAP_OPTIONS = Pattern.compile("bwrap baseline: (\\d+) options recorded");

    private final List<String> lines;

    private JmhLogs(List<String> lines) {
        this.lines = List.copyOf(lines);
    }

    static JmhLogs readDir(Path dir) throws IOException {
        List<String> all = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.getFileName().toString().matches("jmh-.*\\.log")).sorted().toList()) {
                all.addAll(Files.readAllLines(f, StandardCharsets.UTF_8));
            }
        }
        return new JmhLogs(all);
    }

    List<Failure> failures() {
        return parse(lines);
    }

    /** How many options the bwrap baseline replayed, if it ran. */
    Optional<Integer> bwrapOptions() {
        for (String l : lines) {
            Matcher m = BWRAP_OPTIONS.matcher(l);
            if (m.find()) {
                return Optional.of(Integer.parseInt(m.group(1)));
            }
        }
        return Optional.empty();
    }

    static List<Failure> parse(List<String> lines) {
        List<Failure> out = new ArrayList<>();
        String benchmark = "";
        String params = "";
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i);
            if (l.startsWith("# Benchmark: ")) {
                String full = l.substring("# Benchmark: ".length()).strip();
                String[] parts = full.split("\\.");
                benchmark = parts.length >= 2 ? parts[parts.length - 2] : full;
                params = "";
            } else if (l.startsWith("# Parameters: ")) {
                params = l.substring("# Parameters: ".length()).strip();
            } else if (l.strip().endsWith("<failure>")) {
                // "<failure>" alone, or after "Iteration   3:" / "# Warmup Iteration   1:"
                String message = "";
                for (int j = i + 1; j < lines.size() && message.isEmpty(); j++) {
                    message = lines.get(j).strip();
                }
                out.add(new Failure(benchmark, params, message));
            }
        }
        return out;
    }
}
