package dev.sandbox4j.container.internal.session;

import dev.sandbox4j.ExecException;
import dev.sandbox4j.container.internal.engine.EngineException;
import dev.sandbox4j.container.internal.engine.ExecAttach;
import dev.sandbox4j.spi.ProcessExit;
import dev.sandbox4j.spi.SandboxProcess;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One exec in a sandbox container. Its exit is read from the engine ({@code exec inspect}) as soon as
 * its streams end, and also polled (backing off to once a second), because a background child may hold
 * the streams open after the main process exited. {@link #killTree()} has the session kill the tree
 * ({@link ContainerSession#killTree}: from the host, or with a second exec); when that cannot be done in time
 * (the pids limit leaves no room for an exec), the session has the engine kill the whole container. Either
 * way both streams then end: what the container still holds open is cut off on our side. Thread-safe.
 */
final class ContainerProcess implements SandboxProcess {
    private static final ScheduledExecutorService POLLER = Executors.newScheduledThreadPool(2, r -> {
        Thread t = new Thread(r, "sandbox4j-container-exit-poller");
        t.setDaemon(true);
        return t;
    });
    private static final long MAX_POLL_MS = 1000;
    /** How long an exec killed from inside waits to learn whether its container is stopping with it. */
    static final java.time.Duration STOP_WAIT = java.time.Duration.ofMillis(300);
    /** The exit code an engine reports for a SIGKILLed process. */
    static final int KILLED = 128 + 9;

    private final ContainerSession session;
    private final String execId;
    private final ExecAttach attach;
    private final String tag;
    private final CompletableFuture<ProcessExit> exit = new CompletableFuture<>();
    private final AtomicBoolean killing = new AtomicBoolean();

    ContainerProcess(ContainerSession session, String execId, ExecAttach attach, String tag) {
        this.session = session;
        this.execId = execId;
        this.attach = attach;
        this.tag = tag;
        attach.ended().thenRun(() -> POLLER.execute(this::check));
        POLLER.schedule(() -> poll(50), 50, TimeUnit.MILLISECONDS);
    }

    @Override
    public OutputStream stdin() {
        return attach.stdin();
    }

    @Override
    public InputStream stdout() {
        return attach.stdout();
    }

    @Override
    public InputStream stderr() {
        return attach.stderr();
    }

    @Override
    public CompletableFuture<ProcessExit> onExit() {
        return exit;
    }

    private void poll(long delayMs) {
        if (exit.isDone()) {
            return;
        }
        check();
        if (!exit.isDone()) {
            long next = Math.min(delayMs * 2, MAX_POLL_MS);
            POLLER.schedule(() -> poll(next), next, TimeUnit.MILLISECONDS);
        }
    }

    /** Completes {@link #exit} when the engine says the exec ended; fails it when the engine is gone. */
    private synchronized void check() {
        if (exit.isDone()) {
            return;
        }
        try {
            var r = session.client().api().inspectExecCmd(execId).exec();
            if (!Boolean.TRUE.equals(r.isRunning()) && r.getExitCodeLong() != null) {
                int code = r.getExitCodeLong().intValue();
                // gVisor: the memory limit kills the whole sandbox, and the engine reports the exec with the
                // runtime's own failure (128); the hog was killed, as with runc, so report it as such (a kill of
                // ours restarts nothing here: the next spawn does, and the kill returns at once)
                if (code >= 128 && code != KILLED && (killing.get() || session.recover(code == 128))) {
                    code = KILLED;
                }
                if (code == KILLED && !killing.get()) {
                    // killed from inside: by a kill -9 -1 that also ended the container's keep-alive, whose stop the
                    // next command must see, or it would be sent into the stopping container
                    session.awaitStop(STOP_WAIT);
                }
                exit.complete(ProcessExit.of(code));
            } else if (attach.ended().isDone() && !session.containerRunning()) {
                // the container died under the exec (gVisor's sandbox OOM-killed): the engine may never end it
                if (killing.get() || session.recover(false)) {
                    exit.complete(ProcessExit.of(KILLED));
                } else {
                    exit.completeExceptionally(new ExecException(session.client().engineName() + ": the container "
                            + session.name() + " of exec " + tag + " stopped under it" + session.stateText()));
                }
            }
        } catch (com.github.dockerjava.api.exception.NotFoundException e) {
            if (killing.get() || session.isClosed() || session.recover(false)) {
                exit.complete(ProcessExit.of(KILLED));
                attach.abort();
            } else {
                exit.completeExceptionally(new ExecException(session.client().engineName() + ": exec " + tag
                        + " vanished from the engine (its container " + session.name() + " was removed or restarted)", e));
                attach.abort();
            }
        } catch (RuntimeException e) {
            if (session.isClosed()) {
                exit.complete(ProcessExit.of(KILLED));
                return;
            }
            EngineException ee = session.client().failure("following exec " + tag, e);
            exit.completeExceptionally(new ExecException(ee.getMessage(), e));
            attach.abort();
        }
    }

    @Override
    public void killTree() {
        if (!killing.compareAndSet(false, true)) {
            return;
        }
        try {
            long pid = -1;
            try {
                pid = attach.pid().get(2, TimeUnit.SECONDS);
            } catch (TimeoutException | java.util.concurrent.ExecutionException e) {
                // the wrapper never reported: fall through to the last resort
            }
            boolean killed = pid > 0 && !session.isClosed() && session.killTree(pid, tag);
            if (!killed && !session.isClosed() && (!exit.isDone() || !attach.ended().isDone())) {
                session.killEverything("the tree of " + tag + " (pid " + pid + ") could not be killed in time");
            }
            try {
                attach.ended().get(1, TimeUnit.SECONDS);
            } catch (TimeoutException | java.util.concurrent.ExecutionException e) {
                // a process outside the tree (a daemon that left the session) still holds the streams
            }
            attach.abort();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (!exit.isDone() && System.nanoTime() < deadline) {
                check();
                if (!exit.isDone()) {
                    Thread.sleep(20);
                }
            }
            exit.complete(ProcessExit.of(KILLED));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            attach.abort();
            exit.complete(ProcessExit.of(KILLED));
        } catch (RuntimeException e) {
            attach.abort();
            exit.complete(ProcessExit.of(KILLED));
        }
    }

    /** The session is closing: its container goes away with everything in it; end our side now. */
    void abandon() {
        attach.abort();
        exit.complete(ProcessExit.of(KILLED));
    }
}
