package dev.sandbox4j.benchmarks;

import dev.sandbox4j.Command;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.benchmarks.support.HostRun;
import dev.sandbox4j.benchmarks.support.Sandboxes;
import dev.sandbox4j.benchmarks.support.Target;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * One-shot cost: {@code build()}, {@code exec("true")}, {@code close()} per invocation, per backend, under
 * the strongest policy the backend accepts (strict where it can). {@code backend=host} is the floor: a bare
 * {@code ProcessBuilder} spawn of {@code /bin/true}. Sample-time mode, so the report gives the median of
 * single invocations, not only a mean. The run script fills {@code -p backend=} with the backends it found.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class Startup {
    private static final Command TRUE = Command.of("true");

    /** {@code host}, a backend name, or {@code name[option=value;...]} (see {@link Target}). */
    @Param("host")
    public String backend;

    private Target target;

    @Setup
    public void resolve() {
        target = Target.parse(backend);
        if (!target.isHost()) {
            Sandboxes.policy(target);
        }
    }

    @Benchmark
    public void buildExecClose() {
        if (target.isHost()) {
            HostRun.spawnTrue();
            return;
        }
        try (Sandbox sandbox = Sandboxes.open(target)) {
            Sandboxes.execOk(sandbox, TRUE);
        }
    }
}
