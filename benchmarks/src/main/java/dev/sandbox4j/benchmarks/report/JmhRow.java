package dev.sandbox4j.benchmarks.report;

import java.util.Map;
import java.util.OptionalDouble;

/**
 * One result of a JMH run (one benchmark with one set of parameters), as the report needs it.
 *
 * @param benchmark  the benchmark class's simple name ({@code Startup})
 * @param params     the JMH parameters ({@code backend}, {@code count}, {@code cli})
 * @param mode       {@code sample} or {@code avgt}
 * @param median     the median: of single invocations in sample mode, of iteration means in avgt mode
 * @param mean       JMH's score (the mean)
 * @param error      JMH's 99.9% confidence half-width of the mean; NaN when too few iterations
 * @param unit       the unit of median, mean and error ({@code ms/op})
 * @param samples    invocations timed (sample mode) or iterations (avgt mode)
 * @param secondary  auxiliary counters by name (SyscallOverhead's {@code ddNanos}, {@code ddRuns})
 * @param source     the JSON file it came from
 */
public record JmhRow(String benchmark, Map<String, String> params, String mode, double median, double mean,
                     double error, String unit, long samples, Map<String, Double> secondary, String source) {

    public JmhRow {
        params = Map.copyOf(params);
        secondary = Map.copyOf(secondary);
    }

    public String param(String name) {
        return params.getOrDefault(name, "");
    }

    public OptionalDouble counter(String name) {
        Double v = secondary.get(name);
        return v == null ? OptionalDouble.empty() : OptionalDouble.of(v);
    }
}
