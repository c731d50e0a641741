package dev.sandbox4j.benchmarks;

import dev.sandbox4j.Sandbox;
import dev.sandbox4j.benchmarks.support.Sandboxes;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * How long {@code build()} takes to hand back a sandbox that is ready to exec: for a VM, until its guest
 * agent has answered (issue 6's "ready to exec", whose own measurement of "snapshot restore to a ready
 * agent" it is). {@code close()} runs in a per-invocation tear-down, out of the measurement. The first
 * command's own run is in {@link TimeToReady}. The run script runs it for the slow backends.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class ReadyToExec extends SandboxPerInvocation {
    @Benchmark
    public Sandbox build() {
        sandbox = Sandboxes.open(target);
        return sandbox;
    }
}
