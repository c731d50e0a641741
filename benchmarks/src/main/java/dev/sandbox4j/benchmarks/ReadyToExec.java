package dev.sandbox4j.benchmarks;

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
 * How long {@code build()} takes to hand back a sandbox that is ready to exec: for a VM, until its guest
 * agent has answered (issue 6's "ready to exec", whose own measurement of "snapshot restore to a ready
 * agent" it is). {@code close()} runs in a per-invocation tear-down, out of the measurement. The first
 * command's own run is in {@link TimeToReady}. The run script runs it for the slow backends.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class ReadyToExec {
    /** A backend name, or {@code name[option=value;...]} (see {@link Target}). */
    @Param("none")
    public String backend;

    private Target target;
    private Sandbox sandbox;

    @Setup(Level.Trial)
    public void resolve() {
        target = Target.parse(backend);
        if (target.isHost()) {
            throw new IllegalArgumentException("ReadyToExec: backend=host has no sandbox to open; use Startup");
        }
        Sandboxes.policy(target);
    }

    @Benchmark
    public Sandbox build() {
        sandbox = Sandboxes.open(target);
        return sandbox;
    }

    @TearDown(Level.Invocation)
    public void close() {
        if (sandbox != null) {
            sandbox.close();
            sandbox = null;
        }
    }
}
