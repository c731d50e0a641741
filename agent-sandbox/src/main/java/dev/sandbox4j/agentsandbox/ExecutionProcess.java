package dev.sandbox4j.agentsandbox;

import dev.sandbox4j.ExecResult;
import dev.sandbox4j.Execution;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * A sandbox4j {@link Execution} seen as a {@link Process}, for {@code startInteractive}. Its streams are
 * the command's; {@code destroy} and {@code destroyForcibly} kill the command's whole tree inside the
 * sandbox. Thread-safe as {@link Execution} is.
 */
final class ExecutionProcess extends Process {
    private final Execution execution;

    ExecutionProcess(Execution execution) {
        this.execution = execution;
    }

    @Override
    public OutputStream getOutputStream() {
        return execution.stdin();
    }

    @Override
    public InputStream getInputStream() {
        return execution.stdout();
    }

    @Override
    public InputStream getErrorStream() {
        return execution.stderr();
    }

    @Override
    public int waitFor() throws InterruptedException {
        try {
            return execution.onExit().get().exitCode();
        } catch (ExecutionException e) {
            throw new IllegalStateException("the sandboxed command failed: " + e.getCause(), e.getCause());
        }
    }

    @Override
    public boolean waitFor(long timeout, TimeUnit unit) throws InterruptedException {
        try {
            execution.onExit().get(timeout, unit);
            return true;
        } catch (java.util.concurrent.TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            return true; // it ended, badly: exitValue() says how
        }
    }

    @Override
    public int exitValue() {
        CompletableFuture<ExecResult> exit = execution.onExit();
        if (!exit.isDone()) {
            throw new IllegalThreadStateException("the sandboxed command is still running");
        }
        return exit.join().exitCode();
    }

    @Override
    public void destroy() {
        execution.kill();
    }

    @Override
    public Process destroyForcibly() {
        execution.kill();
        return this;
    }

    @Override
    public boolean isAlive() {
        return execution.isAlive();
    }

    @Override
    public CompletableFuture<Process> onExit() {
        return execution.onExit().handle((r, e) -> this);
    }

    @Override
    public String toString() {
        return "ExecutionProcess{" + execution + "}";
    }
}
