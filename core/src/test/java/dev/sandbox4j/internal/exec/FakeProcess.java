package dev.sandbox4j.internal.exec;

import dev.sandbox4j.spi.ProcessExit;
import dev.sandbox4j.spi.SandboxProcess;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** A SandboxProcess made of in-memory streams, to drive the exec engine without a real process. */
final class FakeProcess implements SandboxProcess {
    final FakeStream out;
    final FakeStream err;
    final ByteArrayOutputStream stdinBytes = new ByteArrayOutputStream();
    final CountDownLatch stdinClosed = new CountDownLatch(1);
    final CompletableFuture<ProcessExit> exit = new CompletableFuture<>();
    final AtomicInteger kills = new AtomicInteger();
    private volatile boolean exitOnKill = true;

    FakeProcess(FakeStream out, FakeStream err) {
        this.out = out;
        this.err = err;
    }

    /** Exits with {@code code} as soon as both streams were read to their end. */
    FakeProcess exitAfterDrain(int code) {
        CompletableFuture.allOf(out.eof, err.eof).thenRun(() -> exit.complete(ProcessExit.of(code)));
        return this;
    }

    FakeProcess ignoreKill() {
        exitOnKill = false;
        return this;
    }

    @Override
    public OutputStream stdin() {
        return new OutputStream() {
            @Override
            public void write(int b) {
                synchronized (stdinBytes) {
                    stdinBytes.write(b);
                }
            }

            @Override
            public void write(byte[] b, int off, int len) {
                synchronized (stdinBytes) {
                    stdinBytes.write(b, off, len);
                }
            }

            @Override
            public void close() {
                stdinClosed.countDown();
            }
        };
    }

    @Override
    public InputStream stdout() {
        return out;
    }

    @Override
    public InputStream stderr() {
        return err;
    }

    @Override
    public CompletableFuture<ProcessExit> onExit() {
        return exit;
    }

    @Override
    public void killTree() {
        kills.incrementAndGet();
        out.end();
        err.end();
        if (exitOnKill) {
            exit.complete(ProcessExit.of(137));
        }
    }

    /**
     * An output stream of {@code total} bytes generated on the fly (never held in memory); with
     * {@code holdOpen} it then blocks, as a pipe a background child keeps open, until closed or ended.
     */
    static final class FakeStream extends InputStream {
        final AtomicLong served = new AtomicLong();
        final CompletableFuture<Void> eof = new CompletableFuture<>();
        private final long total;
        private final boolean holdOpen;
        private boolean ended;
        private boolean closed;

        FakeStream(long total, boolean holdOpen) {
            this.total = total;
            this.holdOpen = holdOpen;
        }

        static FakeStream of(long total) {
            return new FakeStream(total, false);
        }

        static FakeStream endless() {
            return new FakeStream(Long.MAX_VALUE, false);
        }

        @Override
        public int read() throws IOException {
            byte[] b = new byte[1];
            return read(b, 0, 1) < 0 ? -1 : b[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            synchronized (this) {
                if (closed) {
                    throw new IOException("closed");
                }
                long left = total - served.get();
                if (left > 0 && !ended) {
                    int n = (int) Math.min(len, left);
                    long at = served.get();
                    for (int i = 0; i < n; i++) {
                        b[off + i] = byteAt(at + i);
                    }
                    served.addAndGet(n);
                    return n;
                }
                while (holdOpen && !ended && !closed) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        throw new IOException(e);
                    }
                }
                if (closed) {
                    throw new IOException("closed");
                }
            }
            eof.complete(null);
            return -1;
        }

        /** The byte at an offset of every fake stream: a..z repeating, so order can be checked. */
        static byte byteAt(long offset) {
            return (byte) ('a' + (offset % 26));
        }

        synchronized void end() {
            ended = true;
            notifyAll();
        }

        @Override
        public synchronized void close() {
            closed = true;
            notifyAll();
        }
    }
}
