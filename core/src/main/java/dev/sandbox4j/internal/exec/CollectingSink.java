package dev.sandbox4j.internal.exec;

import java.util.Arrays;

/**
 * Keeps every byte it is given in one growing array, for {@code exec()}. The pump never gives it more
 * than the cap, and the array grows to at most that, so a flood costs at most the cap. Thread-safe.
 */
final class CollectingSink implements OutputSink {
    private final long cap;
    private byte[] data = new byte[0];
    private int size;
    private boolean finished;

    CollectingSink(long cap) {
        this.cap = cap;
    }

    @Override
    public synchronized void accept(byte[] buf, int off, int len) {
        if (finished) {
            return;
        }
        if (size + len > data.length) {
            // double, but never past the cap: the cap is the most this sink may ever hold
            long want = Math.max((long) size + len, Math.max(8192L, 2L * data.length));
            data = Arrays.copyOf(data, (int) Math.min(want, Math.max(cap, (long) size + len)));
        }
        System.arraycopy(buf, off, data, size, len);
        size += len;
    }

    @Override
    public synchronized void finish() {
        finished = true;
    }

    synchronized byte[] bytes() {
        return Arrays.copyOf(data, size);
    }
}
