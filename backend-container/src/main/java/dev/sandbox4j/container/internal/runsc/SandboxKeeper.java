package dev.sandbox4j.container.internal.runsc;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The parent that stays with one daemonless gVisor sandbox. {@code runsc create} forks the sandbox and
 * its file proxy (gofer) and exits, so both are orphaned. Reparented to the host's PID 1, they were
 * reaped only when that got round to it (this host's PID 1 reaps orphans about every 1.5 s), and
 * {@code runsc delete --force}, which kills them and then polls until their pids are gone (a zombie's
 * pid is not), waited that long: about 1.7 s per close().
 *
 * <p>So runsc create runs under the host's init (tini or catatonit, the binary the sandbox's own PID 1
 * is) as a child subreaper (tini: {@code TINI_SUBREAPER}; catatonit is one whenever it is not PID 1):
 * the orphans become its children and are reaped the moment they end. Under the init a shell runs
 * runsc create (stdin /dev/null, output appended to the sandbox's log, which the sandbox's init inherits
 * as its stdout), writes runsc's exit status on its stdout and then reads its stdin, which the JVM keeps
 * open: so the keeper lives until {@link #close()} (after runsc delete) or until the JVM dies (the pipe
 * closes). The JVM cannot be the subreaper itself: it would collect the zombies of every orphan of every
 * process it ever started and never wait for them. Thread-safe.
 */
final class SandboxKeeper implements AutoCloseable {
    /** $1: the log; then the runsc create argv. */
    static final String SCRIPT = "log=$1; shift; unset TINI_SUBREAPER; \"$@\" >>\"$log\" 2>&1 </dev/null; echo \"$?\";"
            + " read -r x || :";

    private final Process process;

    private SandboxKeeper(Process process) {
        this.process = process;
    }

    /**
     * Starts {@code createArgv} ({@code runsc ... create ...}) under {@code init} as a subreaper and waits
     * for its exit status.
     *
     * @return the keeper, and runsc create's exit status (124 when it did not end within {@code timeout})
     */
    static Started start(Path init, List<String> createArgv, Path log, Duration timeout) throws IOException {
        List<String> argv = new ArrayList<>(List.of(init.toString(), "--", "/bin/sh", "-c", SCRIPT, "sandbox4j-keeper",
                log.toString()));
        argv.addAll(createArgv);
        ProcessBuilder pb = new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().put("TINI_SUBREAPER", "1");
        SandboxKeeper keeper = new SandboxKeeper(pb.start());
        BufferedReader out = new BufferedReader(new InputStreamReader(keeper.process.getInputStream(), StandardCharsets.US_ASCII));
        CompletableFuture<String> status = CompletableFuture.supplyAsync(() -> {
            try {
                return out.readLine();
            } catch (IOException e) {
                return null;
            }
        });
        try {
            String line = status.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (line == null || !line.strip().matches("\\d+")) {
                keeper.close();
                throw new IOException("the keeper of runsc create (" + init + " as a subreaper, then /bin/sh) ended without"
                        + " runsc's exit status (exit " + keeper.process.waitFor() + "); see the sandbox's log " + log);
            }
            return new Started(keeper, Integer.parseInt(line.strip()));
        } catch (TimeoutException e) {
            keeper.process.descendants().forEach(ProcessHandle::destroyForcibly);
            keeper.close();
            return new Started(keeper, 124);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            keeper.process.descendants().forEach(ProcessHandle::destroyForcibly);
            keeper.close();
            throw new IOException("interrupted while running runsc create", e);
        } catch (ExecutionException e) {
            keeper.close();
            throw new IOException("reading runsc create's exit status failed", e.getCause());
        }
    }

    /** A started keeper and the exit status of the runsc create it ran. */
    record Started(SandboxKeeper keeper, int createExit) {
    }

    /**
     * Ends the keeper: EOF on its stdin ends its shell, then the init. Call after the sandbox is deleted
     * (its processes, children of the keeper, are reaped by then). Idempotent; never throws.
     */
    @Override
    public void close() {
        try {
            process.getOutputStream().close();
        } catch (IOException ignored) {
            // already closed
        }
        try {
            if (!process.waitFor(2, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
