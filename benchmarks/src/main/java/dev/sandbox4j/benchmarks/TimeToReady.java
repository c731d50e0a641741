package dev.sandbox4j.benchmarks;

import dev.sandbox4j.Command;
import dev.sandbox4j.benchmarks.support.Sandboxes;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * How long a caller waits for the first result: {@code build()} and {@code exec("true")} timed,
 * {@code close()} not (it runs in a per-invocation tear-down, which JMH leaves out of the measurement).
 * For backends whose close is expensive (a VM's shutdown, a container's removal) this is the figure to
 * read for the first result; {@link ReadyToExec} times {@code build()} alone and {@link Startup} includes
 * the close. The run script runs it for the slow
 * backends (user-space kernels and VMs), where the difference matters.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class TimeToReady extends SandboxPerInvocation {
    private static final Command TRUE = Command.of("true");

    @Benchmark
    public void buildExec() {
        sandbox = Sandboxes.open(target);
        Sandboxes.execOk(sandbox, TRUE);
    }
}
