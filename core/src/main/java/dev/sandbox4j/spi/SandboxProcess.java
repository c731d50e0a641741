package dev.sandbox4j.spi;

import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.CompletableFuture;

/**
 * A process a backend started for one exec. The core reads both output streams to their end on its own
 * threads, enforces caps and timeouts, and calls {@link #killTree()} on timeout or kill. Thread-safe.
 */
public interface SandboxProcess {
    OutputStream stdin();

    InputStream stdout();

    InputStream stderr();

    /** Completes when the exec's main process has exited. */
    CompletableFuture<ProcessExit> onExit();

    /**
     * Kills every process this exec started inside the sandbox, children that hold its stdout open
     * included, and makes both output streams reach EOF promptly. Idempotent; never throws.
     */
    void killTree();
}
