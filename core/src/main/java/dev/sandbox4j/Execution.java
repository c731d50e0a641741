package dev.sandbox4j;

import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.CompletableFuture;

/**
 * A command running in a sandbox, started with {@link Sandbox#start(Command)}. Thread-safe.
 *
 * <p>Output beyond the cap is drained and dropped; the result says truncated. Unread output in
 * {@link #stdout()} waits in a bounded buffer: a command that writes more than that blocks, as on a pipe,
 * until it is read, killed or timed out.
 */
public interface Execution {
    /** The command's stdin; closing it sends EOF. Already closed when the command had stdin bytes. */
    OutputStream stdin();

    /** The command's stdout as it arrives; empty when the execution was started with a listener. */
    InputStream stdout();

    /** The command's stderr as it arrives; empty when the execution was started with a listener. */
    InputStream stderr();

    /** Completes when the command has exited (or timed out, or been killed) and its output is drained. */
    CompletableFuture<ExecResult> onExit();

    /** Waits for {@link #onExit()}; the result's stdout/stderr bytes are empty, since they were streamed. */
    ExecResult await();

    /** Kills the command's whole process tree inside the sandbox; idempotent. */
    void kill();

    boolean isAlive();
}
