package dev.sandbox4j.vm.internal.agent;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.ArrayDeque;

/**
 * An exec's stdout or stderr: the connection's reader thread appends the chunks of STDOUT/STDERR frames,
 * the core reads them. At most {@link #MAX_BUFFERED} bytes wait unread; beyond that {@link #append} blocks
 * the reader thread (and with it the guest's port) until the consumer catches up. The core always drains
 * both streams, so this is back-pressure, not a deadlock. Thread-safe.
 */
final class ChunkInputStream extends InputStream {
    static final int MAX_BUFFERED = 4 << 20;

    private final ArrayDeque<byte[]> chunks = new ArrayDeque<>();
    private int buffered;
    private byte[] current;
    private int pos;
    private boolean eof;
    private boolean closed;

    synchronized void append(byte[] chunk) throws InterruptedException {
        while (buffered >= MAX_BUFFERED && !closed && !eof) {
            wait();
        }
        if (closed || eof) {
            return; // nobody reads any more: drop
        }
        chunks.add(chunk);
        buffered += chunk.length;
        notifyAll();
    }

    synchronized void finish() {
        eof = true;
        notifyAll();
    }

    @Override
    public synchronized int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public synchronized int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        while (current == null || pos == current.length) {
            if (!chunks.isEmpty()) {
                current = chunks.poll();
                pos = 0;
                buffered -= current.length;
                notifyAll();
                continue;
            }
            if (eof || closed) {
                return -1;
            }
            try {
                wait();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while waiting for output from the guest");
            }
        }
        int n = Math.min(len, current.length - pos);
        System.arraycopy(current, pos, b, off, n);
        pos += n;
        return n;
    }

    @Override
    public synchronized int available() {
        return (current == null ? 0 : current.length - pos) + buffered;
    }

    @Override
    public synchronized void close() {
        closed = true;
        chunks.clear();
        buffered = 0;
        notifyAll();
    }
}
