package dev.sandbox4j.benchmarks;

import java.io.IOException;

/**
 * Renders the results of {@code benchmarks/run.sh}: BENCHMARKS.md and the latency chart. See
 * {@link dev.sandbox4j.benchmarks.report.ReportMain} for the arguments.
 */
public final class Report {
    private Report() {
    }

    public static void main(String[] args) throws IOException {
        dev.sandbox4j.benchmarks.report.ReportMain.run(args);
    }
}
