package dev.sandbox4j.internal.none;

import dev.sandbox4j.spi.ProcessExit;
import dev.sandbox4j.spi.SandboxProcess;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

/**
 * A process that never ran: exits at once with a shell's status and message, as {@code sh} reports a
 * program it cannot run (127 "command not found", 126 "Permission denied"). Thread-safe.
 */
final class FixedExitProcess implements SandboxProcess {
    private final byte[] stderr;
    private final CompletableFuture<ProcessExit> exit;

    FixedExitProcess(int exitCode, String stderrLine) {
        this.stderr = (stderrLine + "\n").getBytes(StandardCharsets.UTF_8);
        this.exit = CompletableFuture.completedFuture(ProcessExit.of(exitCode));
    }

    @Override
    public OutputStream stdin() {
        return OutputStream.nullOutputStream();
    }

    @Override
    public InputStream stdout() {
        return InputStream.nullInputStream();
    }

    @Override
    public InputStream stderr() {
        return new ByteArrayInputStream(stderr);
    }

    @Override
    public CompletableFuture<ProcessExit> onExit() {
        return exit;
    }

    @Override
    public void killTree() {
        // nothing runs
    }
}
