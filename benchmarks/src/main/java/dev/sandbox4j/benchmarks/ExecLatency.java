package dev.sandbox4j.benchmarks;

import dev.sandbox4j.Command;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.benchmarks.support.HostRun;
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
 * The cost of one more command: {@code exec("true")} in a sandbox opened once per trial (the open is not
 * timed). {@code backend=host} runs {@code /bin/true} through a bare {@code ProcessBuilder}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class ExecLatency {
    private static final Command TRUE = Command.of("true");

    /** {@code host}, a backend name, or {@code name[option=value;...]} (see {@link Target}). */
    @Param("host")
    public String backend;

    private Target target;
    private Sandbox sandbox;

    @Setup(Level.Trial)
    public void open() {
        target = Target.parse(backend);
        if (!target.isHost()) {
            sandbox = Sandboxes.open(target);
            // the first exec may still pay for lazy setup (a connection, a page cache): not what is measured
            Sandboxes.execOk(sandbox, TRUE);
        }
    }

    @Benchmark
    public void execTrue() {
        if (sandbox == null) {
            HostRun.spawnTrue();
        } else {
            Sandboxes.execOk(sandbox, TRUE);
        }
    }

    @TearDown(Level.Trial)
    public void close() {
        if (sandbox != null) {
            sandbox.close();
            sandbox = null;
        }
    }
}
