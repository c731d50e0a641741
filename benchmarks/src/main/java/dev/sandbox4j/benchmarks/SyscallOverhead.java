package dev.sandbox4j.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sandbox4j.Command;
import dev.sandbox4j.ExecResult;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.benchmarks.support.DdClock;
import dev.sandbox4j.benchmarks.support.HostRun;
import dev.sandbox4j.benchmarks.support.Sandboxes;
import dev.sandbox4j.benchmarks.support.Target;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.runner.IterationType;

/**
 * A syscall-bound command, {@code dd if=/dev/zero of=/dev/null bs=1 count=N} (one read and one write per
 * byte: 2N system calls), inside each backend's sandbox (opened once per trial, under the strongest policy
 * it accepts: for bubblewrap the default seccomp profile) and on the host ({@code backend=host}). Two
 * measures, both reported:
 * <ul>
 *   <li>the primary score: wall time of the whole exec, sandbox overhead of one exec included;</li>
 *   <li>{@code ddNanos}/{@code ddRuns} (auxiliary counters): the time dd itself reports for its copy loop,
 *       which isolates the per-syscall cost (seccomp filtering, a user-space kernel, a guest kernel).</li>
 * </ul>
 * The report divides either by 2N for nanoseconds per syscall and by the host's figure from the same run
 * and the same N. Average-time mode: JMH supports auxiliary counters only there and in throughput mode.
 * Because a mean is fragile on a busy machine, each measured run's dd time is also kept and, when the system
 * property {@value #RESULTS_PROPERTY} names a directory, written there at the end of the trial as
 * {@code ddclock-<backend>-<N>.json}; the report takes the median of those. For a sandbox, the same dd also
 * runs on the host before every measured invocation (in an untimed per-invocation setup), so that the
 * sandbox's runs and the host's alternate and see the same machine load: the report's ratio for a sandbox
 * divides the two medians of these paired runs.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class SyscallOverhead {
    /** System property: the directory for the per-run dd times (the run script sets it). */
    public static final String RESULTS_PROPERTY = "sandbox4j.bench.results";

    /** {@code host}, a backend name, or {@code name[option=value;...]} (see {@link Target}). */
    @Param("host")
    public String backend;

    /** Bytes copied one at a time: 2 syscalls each. */
    @Param("1000000")
    public long count;

    private Sandbox sandbox;
    private Command dd;
    private List<String> hostDd;
    private boolean measuring;
    private final List<Long> measuredNanos = new ArrayList<>();
    private final List<Long> pairedHostNanos = new ArrayList<>();

    /** dd's own clock, summed over an iteration; the report divides the two. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Clock {
        public double ddNanos;
        public long ddRuns;

        @Setup(Level.Iteration)
        public void reset() {
            ddNanos = 0;
            ddRuns = 0;
        }
    }

    @Setup(Level.Trial)
    public void open() {
        if (count < 1) {
            throw new IllegalArgumentException("SyscallOverhead: count=" + count + " must be at least 1");
        }
        List<String> argv = List.of("dd", "if=/dev/zero", "of=/dev/null", "bs=1", "count=" + count);
        hostDd = List.of("env", "LC_ALL=C", "dd", "if=/dev/zero", "of=/dev/null", "bs=1", "count=" + count);
        // a slow engine (ptrace gVisor, TCG) may need far more than the policy's 30 s per exec
        dd = Command.of(argv).env("LC_ALL", "C").timeout(Duration.ofMinutes(10));
        Target target = Target.parse(backend);
        if (!target.isHost()) {
            sandbox = Sandboxes.open(target);
            Sandboxes.execOk(sandbox, Command.of("true"));
        }
    }

    @Setup(Level.Iteration)
    public void iteration(IterationParams params) {
        measuring = params.getType() == IterationType.MEASUREMENT;
    }

    /** The host's run of the pair; untimed (JMH excludes per-invocation setup from the measurement). */
    @Setup(Level.Invocation)
    public void pairedHostRun() {
        if (sandbox != null && measuring) {
            DdClock.elapsed(HostRun.run(hostDd).stderr()).ifPresent(d -> pairedHostNanos.add(d.toNanos()));
        }
    }

    @Benchmark
    public void dd(Clock clock) {
        String stderr;
        if (sandbox == null) {
            stderr = HostRun.run(hostDd).stderr();
        } else {
            ExecResult r = Sandboxes.execOk(sandbox, dd);
            stderr = r.stderr();
        }
        DdClock.elapsed(stderr).ifPresent(d -> {
            clock.ddNanos += d.toNanos();
            clock.ddRuns++;
            if (measuring) {
                measuredNanos.add(d.toNanos());
            }
        });
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        try {
            if (sandbox != null) {
                sandbox.close();
                sandbox = null;
            }
        } finally {
            writeRuns();
        }
    }

    private void writeRuns() throws IOException {
        String dir = System.getProperty(RESULTS_PROPERTY);
        if (dir != null && !measuredNanos.isEmpty()) {
            String name = "ddclock-" + backend.replaceAll("[^A-Za-z0-9_.=-]", "_") + "-" + count + ".json";
            new ObjectMapper().writeValue(Path.of(dir, name).toFile(), Map.of("backend", backend, "count", count,
                    "nanos", List.copyOf(measuredNanos), "hostNanos", List.copyOf(pairedHostNanos)));
        }
        measuredNanos.clear();
        pairedHostNanos.clear();
    }
}
