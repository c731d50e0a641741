package dev.sandbox4j.vm.internal.unikernel;

import dev.sandbox4j.spi.ProcessExit;
import dev.sandbox4j.spi.SandboxProcess;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.CompletableFuture;

/**
 * One boot of a unikernel, seen as a process: stdin and stdout are its serial console, stderr is QEMU's
 * own, the exit code comes through isa-debug-exit ({@link UnikernelPlan#exitCode}). Thread-safe.
 */
final class UnikernelProcess implements SandboxProcess {
    private final Process qemu;
    private final CompletableFuture<ProcessExit> exit;
    private final Runnable cleanup;

    UnikernelProcess(Process qemu, Runnable cleanup) {
        this.qemu = qemu;
        this.cleanup = cleanup;
        this.exit = qemu.onExit().thenApply(p -> {
            cleanup.run();
            return ProcessExit.of(UnikernelPlan.exitCode(p.exitValue()));
        });
    }

    @Override
    public OutputStream stdin() {
        return qemu.getOutputStream();
    }

    @Override
    public InputStream stdout() {
        return qemu.getInputStream();
    }

    @Override
    public InputStream stderr() {
        return qemu.getErrorStream();
    }

    @Override
    public CompletableFuture<ProcessExit> onExit() {
        return exit;
    }

    @Override
    public void killTree() {
        qemu.destroyForcibly();
    }

    void kill() {
        qemu.destroyForcibly();
        cleanup.run();
    }
}
