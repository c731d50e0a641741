package dev.sandbox4j.internal.exec;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandbox4j.ExecResult;
import dev.sandbox4j.OutputListener;
import dev.sandbox4j.internal.exec.FakeProcess.FakeStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The exec engine against fake processes: caps, listeners, timeouts, streams that stay open, backpressure. */
class RunningExecutionTest {
    private static final long MIB = 1024 * 1024;
    /** A guard so that a broken engine fails the test instead of hanging the build; not a timing assertion. */
    private static final long GUARD_S = 60;

    private static ExecSettings settings(ExecSettings.Mode mode, long cap, Duration timeout,
                                         Optional<byte[]> stdin, Optional<OutputListener> listener) {
        return new ExecSettings("test", 1, "fake", timeout, cap, stdin, mode, listener, System.nanoTime());
    }

    private static ExecResult run(FakeProcess p, ExecSettings s) throws Exception {
        return RunningExecution.start(p, s).onExit().get(GUARD_S, TimeUnit.SECONDS);
    }

    @Test
    void floodBeyondTheCapIsDrainedAndDropped() throws Exception {
        FakeProcess p = new FakeProcess(FakeStream.of(50 * MIB), FakeStream.of(10)).exitAfterDrain(0);
        ExecResult r = run(p, settings(ExecSettings.Mode.COLLECT, MIB, Duration.ofMinutes(5), Optional.empty(),
                Optional.empty()));
        assertThat(r.stdoutBytes()).hasSize((int) MIB);
        byte[] kept = r.stdoutBytes();
        for (int i = 0; i < kept.length; i++) {
            if (kept[i] != FakeStream.byteAt(i)) {
                throw new AssertionError("kept byte " + i + " is not the stream's byte " + i);
            }
        }
        assertThat(r.stdoutTruncated()).isTrue();
        assertThat(r.stderrBytes()).hasSize(10);
        assertThat(r.stderrTruncated()).isFalse();
        assertThat(r.truncated()).isTrue();
        // the whole flood was read (drained), not just the first MiB
        assertThat(p.out.served.get()).isEqualTo(50 * MIB);
        assertThat(r.exitCode()).isZero();
        assertThat(r.timedOut()).isFalse();
        assertThat(r.backend()).isEqualTo("fake");
    }

    @Test
    void outputOfExactlyTheCapIsNotTruncated() throws Exception {
        FakeProcess p = new FakeProcess(FakeStream.of(MIB), FakeStream.of(0)).exitAfterDrain(3);
        ExecResult r = run(p, settings(ExecSettings.Mode.COLLECT, MIB, Duration.ofMinutes(5), Optional.empty(),
                Optional.empty()));
        assertThat(r.stdoutBytes()).hasSize((int) MIB);
        assertThat(r.truncated()).isFalse();
        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(r.signal()).isEmpty();
    }

    @Test
    void aZeroCapKeepsNothingAndSaysTruncated() throws Exception {
        FakeProcess p = new FakeProcess(FakeStream.of(5), FakeStream.of(0)).exitAfterDrain(0);
        ExecResult r = run(p, settings(ExecSettings.Mode.COLLECT, 0, Duration.ofMinutes(5), Optional.empty(),
                Optional.empty()));
        assertThat(r.stdoutBytes()).isEmpty();
        assertThat(r.stdoutTruncated()).isTrue();
        assertThat(r.stderrTruncated()).isFalse();
    }

    @Test
    void aListenerGetsAtMostTheCapAndOwnsItsChunks() throws Exception {
        AtomicLong out = new AtomicLong();
        AtomicLong err = new AtomicLong();
        OutputListener l = (stream, chunk) -> (stream == OutputListener.Stream.STDOUT ? out : err).addAndGet(chunk.length);
        FakeProcess p = new FakeProcess(FakeStream.of(5 * MIB), FakeStream.of(100)).exitAfterDrain(0);
        ExecResult r = run(p, settings(ExecSettings.Mode.LISTENER, MIB, Duration.ofMinutes(5), Optional.empty(),
                Optional.of(l)));
        assertThat(out.get()).isEqualTo(MIB);
        assertThat(err.get()).isEqualTo(100);
        assertThat(r.stdoutTruncated()).isTrue();
        assertThat(r.stdoutBytes()).isEmpty();
        assertThat(p.out.served.get()).isEqualTo(5 * MIB);
    }

    @Test
    void aListenerThatThrowsStopsGettingThatStreamAndTheCommandGoesOn() throws Exception {
        AtomicInteger outCalls = new AtomicInteger();
        AtomicLong err = new AtomicLong();
        OutputListener l = (stream, chunk) -> {
            if (stream == OutputListener.Stream.STDOUT) {
                outCalls.incrementAndGet();
                throw new IllegalStateException("listener bug");
            }
            err.addAndGet(chunk.length);
        };
        FakeProcess p = new FakeProcess(FakeStream.of(3 * MIB), FakeStream.of(2 * MIB)).exitAfterDrain(0);
        ExecResult r = run(p, settings(ExecSettings.Mode.LISTENER, 4 * MIB, Duration.ofMinutes(5), Optional.empty(),
                Optional.of(l)));
        assertThat(outCalls.get()).isEqualTo(1);
        assertThat(err.get()).isEqualTo(2 * MIB);
        assertThat(p.out.served.get()).isEqualTo(3 * MIB);
        assertThat(r.exitCode()).isZero();
    }

    @Test
    void aListenerThatNeverReturnsDoesNotHoldTheResultAfterATimeout() throws Exception {
        java.util.concurrent.CountDownLatch never = new java.util.concurrent.CountDownLatch(1);
        OutputListener stuck = (stream, chunk) -> {
            try {
                never.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        FakeProcess p = new FakeProcess(FakeStream.endless(), FakeStream.of(0));
        try {
            ExecResult r = run(p, settings(ExecSettings.Mode.LISTENER, MIB, Duration.ofMillis(200), Optional.empty(),
                    Optional.of(stuck)));
            assertThat(r.timedOut()).isTrue();
            assertThat(p.kills.get()).isEqualTo(1);
        } finally {
            never.countDown();
        }
    }

    @Test
    void aTimeoutKillsTheTreeAndSaysSo() throws Exception {
        FakeProcess p = new FakeProcess(FakeStream.endless(), FakeStream.of(0));
        ExecResult r = run(p, settings(ExecSettings.Mode.COLLECT, MIB, Duration.ofMillis(200), Optional.empty(),
                Optional.empty()));
        assertThat(r.timedOut()).isTrue();
        assertThat(p.kills.get()).isEqualTo(1);
        assertThat(r.exitCode()).isEqualTo(137);
        assertThat(r.signal()).hasValue(9);
        assertThat(r.stdoutBytes()).hasSize((int) MIB);
        assertThat(r.stdoutTruncated()).isTrue();
    }

    @Test
    void aStreamHeldOpenAfterTheMainProcessExitedDoesNotHangTheResult() throws Exception {
        // as a background child that keeps stdout open: 5 bytes, then silence, never EOF
        FakeProcess p = new FakeProcess(new FakeStream(5, true), FakeStream.of(0));
        p.exit.complete(dev.sandbox4j.spi.ProcessExit.of(0));
        ExecResult r = run(p, settings(ExecSettings.Mode.COLLECT, MIB, Duration.ofMinutes(5), Optional.empty(),
                Optional.empty()));
        assertThat(r.stdout()).isEqualTo("abcde");
        assertThat(r.timedOut()).isFalse();
        assertThat(p.kills.get()).isZero();
    }

    @Test
    void stdinBytesAreWrittenThenClosed() throws Exception {
        // the fake command exits once it has seen EOF on stdin, as cat would
        FakeProcess p = new FakeProcess(FakeStream.of(0), FakeStream.of(0));
        RunningExecution e = RunningExecution.start(p, settings(ExecSettings.Mode.COLLECT, MIB, Duration.ofMinutes(5),
                Optional.of("input".getBytes(StandardCharsets.UTF_8)), Optional.empty()));
        assertThat(p.stdinClosed.await(GUARD_S, TimeUnit.SECONDS)).isTrue();
        p.exit.complete(dev.sandbox4j.spi.ProcessExit.of(0));
        e.onExit().get(GUARD_S, TimeUnit.SECONDS);
        synchronized (p.stdinBytes) {
            assertThat(p.stdinBytes.toString(StandardCharsets.UTF_8)).isEqualTo("input");
        }
    }

    @Test
    void execWithoutStdinBytesClosesStdinAtOnceAndStartLeavesItOpen() throws Exception {
        FakeProcess a = new FakeProcess(FakeStream.of(0), FakeStream.of(0)).exitAfterDrain(0);
        run(a, settings(ExecSettings.Mode.COLLECT, MIB, Duration.ofMinutes(5), Optional.empty(), Optional.empty()));
        assertThat(a.stdinClosed.getCount()).isZero();

        FakeProcess b = new FakeProcess(FakeStream.endless(), FakeStream.of(0));
        RunningExecution e = RunningExecution.start(b, settings(ExecSettings.Mode.STREAM, MIB, Duration.ofMinutes(5),
                Optional.empty(), Optional.empty()));
        assertThat(b.stdinClosed.getCount()).isEqualTo(1);
        e.stdin().write('x');
        e.stdin().close();
        assertThat(b.stdinClosed.getCount()).isZero();
        e.kill();
        e.onExit().get(GUARD_S, TimeUnit.SECONDS);
    }

    @Test
    void streamedOutputArrivesInOrderAndEndsAtEof() throws Exception {
        FakeProcess p = new FakeProcess(FakeStream.of(3 * MIB), FakeStream.of(7)).exitAfterDrain(0);
        RunningExecution e = RunningExecution.start(p, settings(ExecSettings.Mode.STREAM, 2 * MIB,
                Duration.ofMinutes(5), Optional.empty(), Optional.empty()));
        byte[] all = e.stdout().readAllBytes();
        assertThat(all).hasSize((int) (2 * MIB));
        for (int i = 0; i < all.length; i++) {
            if (all[i] != FakeStream.byteAt(i)) {
                throw new AssertionError("byte " + i + " out of order: " + all[i]);
            }
        }
        assertThat(e.stderr().readAllBytes()).hasSize(7);
        ExecResult r = e.await();
        assertThat(r.stdoutTruncated()).isTrue();
        assertThat(r.stdoutBytes()).isEmpty();
    }

    @Test
    void aCallerWhoNeverReadsCannotWedgeTheExecutionAfterKill() throws Exception {
        FakeProcess p = new FakeProcess(FakeStream.endless(), FakeStream.endless());
        RunningExecution e = RunningExecution.start(p, settings(ExecSettings.Mode.STREAM, Long.MAX_VALUE,
                Duration.ofMinutes(5), Optional.empty(), Optional.empty()));
        // wait until the pumps are blocked on the full buffers (more served than buffer + one chunk)
        while (p.out.served.get() < BoundedPipe.DEFAULT_CAPACITY + OutputPump.CHUNK) {
            Thread.sleep(10);
        }
        e.kill();
        ExecResult r = e.onExit().get(GUARD_S, TimeUnit.SECONDS);
        assertThat(r.exitCode()).isEqualTo(137);
        assertThat(r.timedOut()).isFalse();
        assertThat(e.isAlive()).isFalse();
        // what was buffered before the kill is still readable
        assertThat(e.stdout().read()).isEqualTo('a');
    }

    @Test
    void aReaderThatClosesItsStreamReleasesThePump() throws Exception {
        FakeProcess p = new FakeProcess(FakeStream.of(20 * MIB), FakeStream.of(0)).exitAfterDrain(0);
        RunningExecution e = RunningExecution.start(p, settings(ExecSettings.Mode.STREAM, Long.MAX_VALUE,
                Duration.ofMinutes(5), Optional.empty(), Optional.empty()));
        InputStream out = e.stdout();
        assertThat(out.read()).isEqualTo('a');
        out.close();
        ExecResult r = e.onExit().get(GUARD_S, TimeUnit.SECONDS);
        assertThat(r.exitCode()).isZero();
        assertThat(p.out.served.get()).isEqualTo(20 * MIB);
    }

    @Test
    void killIsIdempotent() throws Exception {
        FakeProcess p = new FakeProcess(FakeStream.endless(), FakeStream.of(0));
        RunningExecution e = RunningExecution.start(p, settings(ExecSettings.Mode.COLLECT, MIB, Duration.ofMinutes(5),
                Optional.empty(), Optional.empty()));
        e.kill();
        e.kill();
        e.onExit().get(GUARD_S, TimeUnit.SECONDS);
        e.kill();
        assertThat(p.kills.get()).isEqualTo(1);
    }

    @Test
    void aBackendThatNeverReportsTheExitCanBeAbandoned() throws Exception {
        FakeProcess p = new FakeProcess(FakeStream.endless(), FakeStream.of(0)).ignoreKill();
        RunningExecution e = RunningExecution.start(p, settings(ExecSettings.Mode.COLLECT, MIB, Duration.ofMinutes(5),
                Optional.empty(), Optional.empty()));
        e.abandon("gone");
        assertThat(e.onExit()).failsWithin(Duration.ofSeconds(GUARD_S))
                .withThrowableOfType(java.util.concurrent.ExecutionException.class)
                .withMessageContaining("gone");
    }

    @Test
    void readingAfterCloseFails() throws IOException {
        BoundedPipe pipe = new BoundedPipe(16);
        pipe.close();
        org.assertj.core.api.Assertions.assertThatThrownBy(pipe::read).isInstanceOf(IOException.class);
    }
}
