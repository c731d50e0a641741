package dev.sandbox4j.linux.internal.rootfs;

import dev.sandbox4j.ResourceUsage;
import dev.sandbox4j.linux.internal.host.ProcessStreams;
import dev.sandbox4j.spi.ProcessExit;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntFunction;

/**
 * One exec of a chroot or nspawn sandbox: the host process of its exec chain and the exec's own cgroup.
 * {@link #killTree()} kills the cgroup (every process the exec started, wherever it re-parented itself)
 * and the chain's process, so both output streams reach EOF. Thread-safe.
 */
public final class RootfsProcess extends ProcessStreams {
    private final ExecCgroup cgroup;
    private final CompletableFuture<ProcessExit> exit;

    /**
     * @param afterExit called once with the exit code after the chain's process ended (violation checks,
     *                  cleanup); returns the usage to report
     */
    public RootfsProcess(Process process, ExecCgroup cgroup, IntFunction<ResourceUsage> afterExit) {
        super(process);
        this.cgroup = cgroup;
        this.exit = process.onExit().thenApply(p -> {
            int code = p.exitValue();
            ResourceUsage usage = afterExit.apply(code);
            return new ProcessExit(code, ProcessExit.of(code).signal(), usage);
        });
    }

    @Override
    public CompletableFuture<ProcessExit> onExit() {
        return exit;
    }

    @Override
    public void killTree() {
        cgroup.kill();
        process.destroyForcibly();
    }

    public ExecCgroup cgroup() {
        return cgroup;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }
}
