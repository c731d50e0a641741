package dev.sandbox4j.container.internal.runsc;

import dev.sandbox4j.container.internal.agent.ExecAgent;
import dev.sandbox4j.spi.ProcessExit;
import dev.sandbox4j.spi.SandboxProcess;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A command of the exec agent whose stdin is closed a little late. gVisor opens the read end of a host
 * FIFO without blocking and then looks for a writer every 100 ms; a writer that opened and closed in
 * between (the JVM closing the stdin of a command that gets none, at once) is never seen, and the
 * command's shell hangs in open(). So stdin is closed only {@link #DELAY} after both the caller closed it
 * and the JVM's end had opened (which it does when the command's shell starts opening its end): counted
 * from the caller's close alone, a busy host that took longer than the delay to fork the command lost
 * the race and the command hung (seen under a load average above 4). A command that reads its stdin to
 * the end so gets EOF that much later, nothing else changes. Thread-safe.
 */
final class LateStdinClose implements SandboxProcess {
    static final Duration DELAY = Duration.ofMillis(400);
    private static final ScheduledExecutorService CLOSER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "sandbox4j-runsc-stdin-close");
        t.setDaemon(true);
        return t;
    });

    private final SandboxProcess delegate;
    private final OutputStream stdin;

    LateStdinClose(SandboxProcess delegate) {
        this.delegate = delegate;
        OutputStream real = delegate.stdin();
        this.stdin = new FilterOutputStream(real) {
            private boolean closed;

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                real.write(b, off, len);
            }

            @Override
            public synchronized void close() {
                if (closed) {
                    return;
                }
                closed = true;
                CompletableFuture<Void> opened = delegate instanceof ExecAgent.StdinOpening s
                        ? s.stdinOpened() : CompletableFuture.completedFuture(null);
                // after a failed or aborted open too: closing then only releases what is left
                opened.whenComplete((x, t) -> CLOSER.schedule(() -> {
                    try {
                        real.close();
                    } catch (IOException ignored) {
                        // the command is gone: nothing to tell
                    }
                }, DELAY.toMillis(), TimeUnit.MILLISECONDS));
            }
        };
    }

    @Override
    public OutputStream stdin() {
        return stdin;
    }

    @Override
    public InputStream stdout() {
        return delegate.stdout();
    }

    @Override
    public InputStream stderr() {
        return delegate.stderr();
    }

    @Override
    public CompletableFuture<ProcessExit> onExit() {
        return delegate.onExit();
    }

    @Override
    public void killTree() {
        try {
            delegate.killTree();
        } catch (RuntimeException e) {
            // the contract says never throw; the kill itself has run by the time cleanup fails
            System.getLogger(LateStdinClose.class.getName()).log(System.Logger.Level.DEBUG, "killTree cleanup failed", e);
        }
    }

    /** Ends the agent's process at once (its streams and exit), when it can be. */
    void abort() {
        if (delegate instanceof ExecAgent.Abortable a) {
            a.abort();
        }
    }
}
