package dev.sandbox4j.container.internal.engine;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;

/**
 * A bounded in-memory pipe from one writer (the demultiplexing thread of an exec) to one reader (the
 * core's drain thread). Unlike {@link java.io.PipedInputStream} it does not care which threads read and
 * write, and it never throws because a thread ended: the writer ends the stream with {@link #finish()}.
 * A full buffer blocks the writer, which is how back-pressure reaches the container. Thread-safe.
 */
public final class BytePipe {
    private final byte[] buffer;
    private int head;
    private int size;
    private boolean finished;
    private boolean readerClosed;

    public BytePipe(int capacity) {
        buffer = new byte[capacity];
    }

    /** Writes all of {@code len} bytes, waiting for room; drops them silently when the reader closed. */
    public synchronized void write(byte[] b, int off, int len) throws InterruptedIOException {
        while (len > 0) {
            while (size == buffer.length && !readerClosed && !finished) {
                await();
            }
            if (readerClosed || finished) {
                return;
            }
            int tail = (head + size) % buffer.length;
            int n = Math.min(len, Math.min(buffer.length - size, buffer.length - tail));
            System.arraycopy(b, off, buffer, tail, n);
            size += n;
            off += n;
            len -= n;
            notifyAll();
        }
    }

    /** Ends the stream: the reader gets what is buffered, then EOF. Idempotent. */
    public synchronized void finish() {
        finished = true;
        notifyAll();
    }

    public synchronized boolean finished() {
        return finished;
    }

    private synchronized int read(byte[] b, int off, int len) throws InterruptedIOException {
        if (len == 0) {
            return 0;
        }
        while (size == 0 && !finished && !readerClosed) {
            await();
        }
        if (size == 0) {
            return -1;
        }
        int n = Math.min(len, Math.min(size, buffer.length - head));
        System.arraycopy(buffer, head, b, off, n);
        head = (head + n) % buffer.length;
        size -= n;
        notifyAll();
        return n;
    }

    private synchronized int available() {
        return size;
    }

    private synchronized void closeReader() {
        readerClosed = true;
        size = 0;
        notifyAll();
    }

    private void await() throws InterruptedIOException {
        try {
            wait();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting on an exec's output pipe");
        }
    }

    /** The reading end. */
    public InputStream input() {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                int n = BytePipe.this.read(one, 0, 1);
                return n < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                java.util.Objects.checkFromIndexSize(off, len, b.length);
                return BytePipe.this.read(b, off, len);
            }

            @Override
            public int available() {
                return BytePipe.this.available();
            }

            @Override
            public void close() {
                closeReader();
            }
        };
    }
}
