package dev.sandbox4j.internal.none;

import dev.sandbox4j.spi.ProcessExit;
import dev.sandbox4j.spi.SandboxProcess;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.CompletableFuture;

/**
 * A plain host process started by the none backend, with the tree it spawns. Thread-safe.
 *
 * <p>{@link #killTree()} SIGKILLs the root, its descendants and its session (see {@link ProcessTree});
 * once every writer is dead the output pipes reach EOF. A process that escaped the tree (it called
 * {@code setsid()} after its parent died) may keep them open; the core then stops reading shortly after
 * the main process exited.
 */
final class HostProcess implements SandboxProcess {
    private final Process process;
    private final ProcessTree tree;
    private final CompletableFuture<ProcessExit> exit;

    HostProcess(Process process, boolean ownSession, long notBeforeTicks) {
        this.process = process;
        this.tree = new ProcessTree(process.toHandle(), ownSession, notBeforeTicks);
        // Process.exitValue() already reads 128 + n for a death by signal n, which ProcessExit.of decodes
        this.exit = process.onExit().thenApply(p -> ProcessExit.of(p.exitValue()));
    }

    ProcessTree tree() {
        return tree;
    }

    boolean rootAlive() {
        return process.isAlive();
    }

    @Override
    public OutputStream stdin() {
        return process.getOutputStream();
    }

    @Override
    public InputStream stdout() {
        return process.getInputStream();
    }

    @Override
    public InputStream stderr() {
        return process.getErrorStream();
    }

    @Override
    public CompletableFuture<ProcessExit> onExit() {
        return exit;
    }

    @Override
    public void killTree() {
        try {
            tree.kill();
        } catch (RuntimeException e) {
            // never throws, by contract; the session's close() tries again
        }
    }

    @Override
    public String toString() {
        return "HostProcess[pid " + process.pid() + "]";
    }
}
