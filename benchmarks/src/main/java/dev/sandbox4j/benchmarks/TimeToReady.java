package dev.sandbox4j.benchmarks;

import dev.sandbox4j.Command;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.benchmarks.support.Sandboxes;
import dev.sandbox4j.benchmarks.support.Target;
import java.util.concurrent.TimeUnit;
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

/**
 * How long a caller waits for the first result: {@code build()} and {@code exec("true")} timed,
 * {@code close()} not (it runs in a per-invocation tear-down, which JMH leaves out of the measurement).
 * For backends whose close is expensive (a VM's shutdown, a container's removal) this is the figure to
 * read for "ready to exec"; {@link Startup} includes the close. The run script runs it for the slow
 * backends (user-space kernels and VMs), where the difference matters.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class TimeToReady {
    private static final Command TRUE = Command.of("true");

    /** A backend name, or {@code name[option=value;...]} (see {@link Target}). */
    @Param("none")
    public String backend;

    private Target target;
    private Sandbox sandbox;

    @Setup(Level.Trial)
    public void resolve() {
        target = Target.parse(backend);
        if (target.isHost()) {
            throw new IllegalArgumentException("TimeToReady: backend=host has no sandbox to open; use Startup");
        }
        Sandboxes.policy(target);
    }

    @Benchmark
    public void buildExec() {
        sandbox = Sandboxes.open(target);
        Sandboxes.execOk(sandbox, TRUE);
    }

    @TearDown(Level.Invocation)
    public void close() {
        if (sandbox != null) {
            sandbox.close();
            sandbox = null;
        }
    }
}
