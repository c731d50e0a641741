package dev.sandbox4j.benchmarks.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;

/**
 * Reads a results directory ({@code jmh-*.json}, {@code jmh-*.log}, {@code ddclock-*.json}, {@code backends.json},
 * {@code memory.json}) and writes the Markdown report and the chart. Arguments: {@code --results DIR --markdown FILE --chart FILE
 * --chart-link PATH --command "..." --profiles "..." --load-at-start "..."}.
 */
public final class ReportMain {
    private ReportMain() {
    }

    public static void run(String[] args) throws IOException {
        System.setProperty("java.awt.headless", "true");
        Path results = null;
        Path markdown = null;
        Path chart = null;
        String chartLink = "benchmarks/results/startup-exec.png";
        String command = "benchmarks/run.sh";
        String profiles = "";
        String load = "unknown";
        for (int i = 0; i < args.length; i++) {
            String v = i + 1 < args.length ? args[i + 1] : "";
            switch (args[i]) {
                case "--results" -> results = Path.of(v);
                case "--markdown" -> markdown = Path.of(v);
                case "--chart" -> chart = Path.of(v);
                case "--chart-link" -> chartLink = v;
                case "--command" -> command = v;
                case "--profiles" -> profiles = v;
                case "--load-at-start" -> load = v;
                default -> throw new IllegalArgumentException("Report: unknown argument " + args[i]);
            }
            i++;
        }
        if (results == null || markdown == null || chart == null) {
            throw new IllegalArgumentException("Report: give --results DIR --markdown FILE --chart FILE");
        }
        JmhResults jmh = JmhResults.readDir(results);
        Inventory inventory = Inventory.read(results.resolve("backends.json"));
        List<IdleMemoryResults.Entry> memory = IdleMemoryResults.read(results.resolve("memory.json"));
        String date = ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'"));
        RunInfo run = RunInfo.collect(date, command, profiles, load);
        LatencyChart.write(jmh, run, chart);
        Files.writeString(markdown, new MarkdownReport(jmh, inventory, memory,
                JmhLogs.readDir(results), Syscalls.readDir(results), run, chartLink).render(), StandardCharsets.UTF_8);
        System.err.println("wrote " + markdown + " and " + chart + " from " + jmh.rows().size() + " JMH results");
    }
}
