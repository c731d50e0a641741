package dev.sandbox4j.internal.exec;

import dev.sandbox4j.OutputListener;
import java.time.Duration;
import java.util.Optional;

/**
 * What the engine needs to follow one started process, all resolved by the sandbox.
 *
 * @param sandboxId   the sandbox's id (thread names, messages)
 * @param execId      the exec's number in its sandbox
 * @param backend     the backend's name, for the result
 * @param timeout     wall-clock limit from start; then the tree is killed and the result says timedOut
 * @param capBytes    bytes kept per output stream; the rest is drained and dropped
 * @param stdin       bytes written to stdin before it is closed; empty: see {@code mode}
 * @param mode        where the output goes
 * @param listener    the receiver in {@link Mode#LISTENER} mode
 * @param startNanos  {@link System#nanoTime()} just before the spawn, for the result's duration
 */
public record ExecSettings(String sandboxId, long execId, String backend, Duration timeout, long capBytes,
                           Optional<byte[]> stdin, Mode mode, Optional<OutputListener> listener, long startNanos) {

    /** Where output goes, and what happens to stdin when no bytes were given. */
    public enum Mode {
        /** exec(): output kept in the result; stdin closed at once. */
        COLLECT,
        /** start(): output readable from bounded streams; stdin left open for the caller. */
        STREAM,
        /** start(listener): output pushed to the listener; stdin left open for the caller. */
        LISTENER
    }

    public ExecSettings {
        if (mode == Mode.LISTENER && listener.isEmpty()) {
            throw new IllegalArgumentException("LISTENER mode needs a listener");
        }
    }

    String name() {
        return "exec " + execId + " of sandbox " + sandboxId;
    }
}
