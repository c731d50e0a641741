package dev.sandbox4j.benchmarks;

import dev.sandbox4j.Sandbox;
import dev.sandbox4j.benchmarks.support.Sandboxes;
import dev.sandbox4j.benchmarks.support.Target;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The state of a benchmark that opens one sandbox per invocation and closes it in a per-invocation
 * tear-down, which JMH leaves out of the measurement ({@link ReadyToExec}, {@link TimeToReady}). Not
 * thread-safe: one per benchmark thread.
 */
@State(Scope.Thread)
public abstract class SandboxPerInvocation {
    /** A backend name, or {@code name[option=value;...]} (see {@link Target}). */
    @Param("none")
    public String backend;

    protected Target target;
    protected Sandbox sandbox;

    @Setup(Level.Trial)
    public void resolve() {
        target = Target.parse(backend);
        if (target.isHost()) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": backend=host has no sandbox to open; use Startup");
        }
        Sandboxes.policy(target);
    }

    @TearDown(Level.Invocation)
    public void close() {
        if (sandbox != null) {
            sandbox.close();
            sandbox = null;
        }
    }
}
