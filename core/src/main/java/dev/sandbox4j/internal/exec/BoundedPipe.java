package dev.sandbox4j.internal.exec;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;

/**
 * A fixed-size ring buffer between a pump (writer) and the caller of {@code Execution.stdout()}
 * (reader). A full buffer blocks the writer, which stops reading the process's pipe, which blocks the
 * command: backpressure as on a real pipe, and the JVM never holds more than the buffer.
 *
 * <p>The writer is released, and later writes are dropped, when the reader {@link #close() closes} the
 * stream or the execution {@link #end() ends} (kill, timeout, sandbox close), so a caller who never reads
 * cannot wedge the pump. Bytes already buffered stay readable after {@link #end()}. Thread-safe.
 */
final class BoundedPipe extends InputStream implements OutputSink {
    /** The default buffer, 256 KiB. */
    static final int DEFAULT_CAPACITY = 256 * 1024;

    private final byte[] ring;
    private int head;
    private int count;
    private boolean writerDone;
    private boolean readerClosed;
    private boolean ended;

    BoundedPipe(int capacity) {
        this.ring = new byte[capacity];
    }

    @Override
    public synchronized void accept(byte[] buf, int off, int len) {
        while (len > 0) {
            while (count == ring.length && !readerClosed && !ended && !writerDone) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            if (readerClosed || ended || writerDone) {
                return;
            }
            int tail = (head + count) % ring.length;
            int n = Math.min(len, Math.min(ring.length - count, ring.length - tail));
            System.arraycopy(buf, off, ring, tail, n);
            count += n;
            off += n;
            len -= n;
            notifyAll();
        }
    }

    @Override
    public synchronized void finish() {
        writerDone = true;
        notifyAll();
    }

    /** The execution ended: release a blocked writer and drop what it writes from now on. */
    synchronized void end() {
        ended = true;
        notifyAll();
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public synchronized int read(byte[] b, int off, int len) throws IOException {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        if (len == 0) {
            return 0;
        }
        while (count == 0 && !writerDone && !readerClosed) {
            try {
                wait();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while reading a sandboxed command's output");
            }
        }
        if (readerClosed) {
            throw new IOException("stream closed");
        }
        if (count == 0) {
            return -1;
        }
        int n = Math.min(len, Math.min(count, ring.length - head));
        System.arraycopy(ring, head, b, off, n);
        head = (head + n) % ring.length;
        count -= n;
        notifyAll();
        return n;
    }

    @Override
    public synchronized int available() {
        return count;
    }

    /** The reader is done: buffered bytes are discarded and the writer drops everything from now on. */
    @Override
    public synchronized void close() {
        readerClosed = true;
        count = 0;
        notifyAll();
    }
}
