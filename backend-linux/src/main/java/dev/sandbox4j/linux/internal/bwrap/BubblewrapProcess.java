package dev.sandbox4j.linux.internal.bwrap;

import dev.sandbox4j.ResourceUsage;
import dev.sandbox4j.spi.ProcessExit;
import dev.sandbox4j.linux.internal.host.ProcessStreams;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntFunction;

/**
 * One exec: the launcher, parent of a bwrap whose pid namespace holds everything the command started.
 * Killing the launcher and bwrap (SIGKILL) makes its pid 1 die (--die-with-parent), and the kernel then kills every process of
 * that namespace, so children that hold stdout open, double-forked daemons and fork bombs all die and both
 * streams reach EOF. Thread-safe.
 */
final class BubblewrapProcess extends ProcessStreams {
    private final CompletableFuture<ProcessExit> exit;

    /**
     * @param afterExit called with the exit code once bwrap has ended (violation checks); returns the usage
     */
    BubblewrapProcess(Process process, IntFunction<ResourceUsage> afterExit, Runnable onEnd) {
        super(process);
        this.exit = process.onExit().thenApply(p -> {
            int code = p.exitValue();
            ResourceUsage usage;
            try {
                usage = afterExit.apply(code);
            } finally {
                onEnd.run();
            }
            OptionalInt signal = ProcessExit.of(code).signal();
            return new ProcessExit(code, signal, usage);
        });
    }

    @Override
    public CompletableFuture<ProcessExit> onExit() {
        return exit;
    }

    @Override
    public void killTree() {
        // the namespace's members as seen from the host, taken before bwrap dies and they are re-parented
        List<ProcessHandle> members = process.descendants().toList();
        process.destroyForcibly();
        members.forEach(ProcessHandle::destroyForcibly);
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }
}
