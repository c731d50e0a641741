package dev.sandbox4j.internal.exec;

import dev.sandbox4j.ExecException;
import dev.sandbox4j.ExecResult;
import dev.sandbox4j.Execution;
import dev.sandbox4j.OutputListener;
import dev.sandbox4j.SandboxException;
import dev.sandbox4j.spi.ProcessExit;
import dev.sandbox4j.spi.SandboxProcess;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;

/**
 * Follows one process a backend started: feeds stdin, pumps both output streams under their caps,
 * enforces the timeout and builds the {@link ExecResult}. Thread-safe.
 *
 * <p>When the result is complete: the main process has exited and each output stream has reached EOF,
 * or, when a process the command left behind (a background child) keeps a stream open, that stream was
 * silent for {@link #DRAIN_GRACE} after the main process exited. Then we stop following it: what that
 * child writes later is dropped, and our end is closed. So {@code sh -c 'sleep 100 &'} returns at once
 * instead of hanging for 100 s, as it would with a plain pipe reader. A pump blocked because the caller
 * does not read its {@link #stdout()} is not "silent": its data is kept until the caller reads it, the
 * timeout fires, or the execution is killed. After a kill (or timeout) a stream not at its end
 * {@link #DRAIN_GRACE} after the exit is given up whatever blocks it (a listener that never returns).
 */
public final class RunningExecution implements Execution {
    /** How long a stream may stay open, silent, after the main process exited. */
    static final Duration DRAIN_GRACE = Duration.ofMillis(200);
    private static final long DRAIN_POLL_MS = 50;
    /** How long a killed command's result waits for the backend's killTree() to return. */
    static final Duration KILL_WAIT = Duration.ofSeconds(10);
    /** A Java array holds at most about 2 GiB: exec() keeps at most that per stream whatever the cap. */
    private static final long MAX_COLLECT = Integer.MAX_VALUE - 64;

    private final ExecSettings s;
    private final SandboxProcess process;
    private final OutputPump out;
    private final OutputPump err;
    private final CollectingSink outBytes;
    private final CollectingSink errBytes;
    private final BoundedPipe outPipe;
    private final BoundedPipe errPipe;
    private final InputStream stdoutView;
    private final InputStream stderrView;
    private final OutputStream processStdin;
    private final OutputStream stdinView;
    private final CompletableFuture<ExecResult> result = new CompletableFuture<>();
    private final BiConsumer<RunningExecution, ExecResult> beforeComplete;
    private final AtomicBoolean killed = new AtomicBoolean();
    /** Completes when killTree() returned: a killed command's result waits for it (bounded by KILL_WAIT). */
    private final CompletableFuture<Void> killDone = new CompletableFuture<>();
    private volatile long killStartNanos;
    private final AtomicBoolean completing = new AtomicBoolean();
    private volatile boolean timedOut;
    private volatile long exitNanos;
    private volatile ProcessExit exit;
    private volatile ScheduledFuture<?> timeoutTask;
    private ScheduledFuture<?> drainCheck;

    private RunningExecution(SandboxProcess process, ExecSettings s, BiConsumer<RunningExecution, ExecResult> beforeComplete) {
        this.s = s;
        this.process = process;
        this.beforeComplete = beforeComplete;
        long cap = s.capBytes();
        OutputSink outSink;
        OutputSink errSink;
        switch (s.mode()) {
            case COLLECT -> {
                cap = Math.min(cap, MAX_COLLECT);
                outBytes = new CollectingSink(cap);
                errBytes = new CollectingSink(cap);
                outPipe = null;
                errPipe = null;
                outSink = outBytes;
                errSink = errBytes;
            }
            case STREAM -> {
                outBytes = null;
                errBytes = null;
                outPipe = new BoundedPipe(BoundedPipe.DEFAULT_CAPACITY);
                errPipe = new BoundedPipe(BoundedPipe.DEFAULT_CAPACITY);
                outSink = outPipe;
                errSink = errPipe;
            }
            default -> {
                outBytes = null;
                errBytes = null;
                outPipe = null;
                errPipe = null;
                OutputListener l = s.listener().orElseThrow();
                outSink = new ListenerSink(l, OutputListener.Stream.STDOUT, s.name());
                errSink = new ListenerSink(l, OutputListener.Stream.STDERR, s.name());
            }
        }
        this.stdoutView = outPipe != null ? outPipe : InputStream.nullInputStream();
        this.stderrView = errPipe != null ? errPipe : InputStream.nullInputStream();
        this.out = new OutputPump(process.stdout(), outSink, cap);
        this.err = new OutputPump(process.stderr(), errSink, cap);
        this.processStdin = process.stdin();
        this.stdinView = s.stdin().isPresent() || s.mode() == ExecSettings.Mode.COLLECT
                ? closedStdin() : processStdin;
    }

    /** Starts following {@code process}: stdin, pumps, timeout, exit. */
    public static RunningExecution start(SandboxProcess process, ExecSettings settings) {
        RunningExecution e = prepare(process, settings, (x, r) -> { });
        e.begin();
        return e;
    }

    /**
     * Prepares to follow {@code process} without starting anything yet, so the caller can register the
     * execution first; {@link #begin()} starts it.
     *
     * @param beforeComplete runs with the result just before {@link #onExit()} completes (so an event it
     *                       emits comes before {@code exec()} returns); what it throws is logged
     */
    public static RunningExecution prepare(SandboxProcess process, ExecSettings settings,
                                           BiConsumer<RunningExecution, ExecResult> beforeComplete) {
        return new RunningExecution(process, settings, beforeComplete);
    }

    /** Starts stdin, the pumps, the timeout and the exit watch; once. */
    public void begin() {
        String tag = s.sandboxId() + "-" + s.execId();
        if (s.stdin().isPresent()) {
            StdinFeeder.feed(processStdin, s.stdin().get(), "sandbox4j-in-" + tag);
        } else if (s.mode() == ExecSettings.Mode.COLLECT) {
            StdinFeeder.closeQuietly(processStdin);
        }
        ExecThreads.start("sandbox4j-out-" + tag, out);
        ExecThreads.start("sandbox4j-err-" + tag, err);
        timeoutTask = ExecThreads.timer().schedule(this::onTimeout, saturatedNanos(s.timeout()), TimeUnit.NANOSECONDS);
        out.done().thenRun(this::checkDrain);
        err.done().thenRun(this::checkDrain);
        process.onExit().whenComplete(this::onProcessExit);
    }

    /** Duration.toNanos() overflows past 292 years; such a timeout means "never" here. */
    private static long saturatedNanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    private void onProcessExit(ProcessExit x, Throwable failure) {
        exitNanos = System.nanoTime();
        if (failure != null || x == null) {
            killAsync();
            out.detach();
            err.detach();
            fail(new ExecException(s.name() + ": the backend lost track of the process ("
                    + (failure == null ? "no exit status" : failure) + "); the command was killed", failure));
            return;
        }
        exit = x;
        checkDrain();
    }

    private synchronized void checkDrain() {
        if (exit == null || completing.get()) {
            return;
        }
        long now = System.nanoTime();
        // after a kill nothing of the command matters any more: not even a listener that blocks
        boolean giveUp = killed.get() && now - exitNanos >= DRAIN_GRACE.toNanos();
        for (OutputPump p : new OutputPump[] {out, err}) {
            if (!p.finished() && (giveUp || p.readBlockedNanos(exitNanos, now) >= DRAIN_GRACE.toNanos())) {
                p.detach();
            }
        }
        boolean killPending = killed.get() && !killDone.isDone() && now - killStartNanos < KILL_WAIT.toNanos();
        if (out.finished() && err.finished() && !killPending) {
            finish();
        } else if (drainCheck == null || drainCheck.isDone()) {
            drainCheck = ExecThreads.timer().schedule(this::drainTick, DRAIN_POLL_MS, TimeUnit.MILLISECONDS);
        }
    }

    private synchronized void drainTick() {
        drainCheck = null;
        checkDrain();
    }

    private void onTimeout() {
        if (completing.get()) {
            return;
        }
        if (exit == null) {
            timedOut = true;
            killAsync();
        } else {
            // it exited in time but nobody read its output: stop holding the pumps for the reader
            endPipes();
        }
    }

    private void finish() {
        if (!completing.compareAndSet(false, true)) {
            return;
        }
        cancelTimers();
        ProcessExit x = exit;
        int code = x.signal().isPresent() ? 128 + x.signal().getAsInt() : x.exitCode();
        ExecResult r = new ExecResult(code,
                outBytes != null ? outBytes.bytes() : new byte[0],
                errBytes != null ? errBytes.bytes() : new byte[0],
                timedOut, out.truncated(), err.truncated(),
                Duration.ofNanos(Math.max(0, exitNanos - s.startNanos())), x.signal(), x.usage(), s.backend());
        // the command is gone: release our end of its stdin (a caller still writing gets an IOException)
        StdinFeeder.closeQuietly(processStdin);
        // complete off the timer and reaper threads: whatever the caller chained on the future runs there
        ExecThreads.workers().execute(() -> {
            try {
                beforeComplete.accept(this, r);
            } catch (RuntimeException e) {
                System.getLogger("dev.sandbox4j").log(System.Logger.Level.WARNING, "completing " + s.name() + " failed", e);
            } finally {
                result.complete(r);
            }
        });
    }

    private void fail(SandboxException e) {
        if (!completing.compareAndSet(false, true)) {
            return;
        }
        cancelTimers();
        endPipes();
        ExecThreads.workers().execute(() -> result.completeExceptionally(e));
    }

    private void cancelTimers() {
        ScheduledFuture<?> t = timeoutTask;
        if (t != null) {
            t.cancel(false);
        }
        synchronized (this) {
            if (drainCheck != null) {
                drainCheck.cancel(false);
            }
        }
    }

    private void endPipes() {
        if (outPipe != null) {
            outPipe.end();
            errPipe.end();
        }
    }

    private void killAsync() {
        if (killed.compareAndSet(false, true)) {
            killStartNanos = System.nanoTime();
            endPipes();
            ExecThreads.workers().execute(this::killTreeQuietly);
        }
    }

    /**
     * The result of a killed command waits for this: the root's exit and EOF alone do not prove that
     * every process of the tree is gone (the JDK ends a host process's streams when the root exits).
     */
    private void killTreeQuietly() {
        try {
            process.killTree();
        } catch (RuntimeException e) {
            System.getLogger("dev.sandbox4j").log(System.Logger.Level.WARNING,
                    "killTree of " + s.name() + " failed (a backend bug: it must not throw)", e);
        } finally {
            killDone.complete(null);
            checkDrain();
        }
    }

    /**
     * Gives up on an execution whose backend did not report its exit after a kill (used by close()):
     * its future fails with {@code message}.
     */
    public void abandon(String message) {
        out.detach();
        err.detach();
        fail(new ExecException(message));
    }

    /** Waits for the result; on interrupt kills the command (nobody else holds it) and throws. */
    public ExecResult awaitOrKill() {
        try {
            return result.get();
        } catch (InterruptedException e) {
            kill();
            Thread.currentThread().interrupt();
            throw new ExecException(s.name() + ": interrupted while waiting; the command was killed", e);
        } catch (ExecutionException e) {
            throw unwrap(e.getCause());
        }
    }

    @Override
    public OutputStream stdin() {
        return stdinView;
    }

    @Override
    public InputStream stdout() {
        return stdoutView;
    }

    @Override
    public InputStream stderr() {
        return stderrView;
    }

    @Override
    public CompletableFuture<ExecResult> onExit() {
        return result;
    }

    @Override
    public ExecResult await() {
        try {
            return result.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ExecException(s.name() + ": interrupted while waiting; the command still runs (kill() it)", e);
        } catch (ExecutionException e) {
            throw unwrap(e.getCause());
        }
    }

    @Override
    public void kill() {
        if (killed.compareAndSet(false, true)) {
            killStartNanos = System.nanoTime();
            endPipes();
            killTreeQuietly();
        }
    }

    @Override
    public boolean isAlive() {
        return exit == null && !result.isDone();
    }

    @Override
    public String toString() {
        return "Execution[" + s.name() + (isAlive() ? ", running" : ", ended") + "]";
    }

    private SandboxException unwrap(Throwable cause) {
        if (cause instanceof SandboxException se) {
            return se;
        }
        return new ExecException(s.name() + " failed: " + cause, cause);
    }

    private OutputStream closedStdin() {
        String why = s.stdin().isPresent() ? "the command's stdin bytes were given with Command.stdin()"
                : "exec() gives an empty stdin; use start() to write to it";
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("stdin of " + s.name() + " is closed: " + why);
            }
        };
    }
}
