package dev.sandbox4j.internal.exec;

import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.CompletableFuture;

/**
 * Reads one output stream of a sandboxed process to its end on its own thread. The first {@code cap}
 * bytes go to the sink; everything after is read and dropped (the stream is always drained, so the
 * command never blocks on a full pipe because of the cap) and {@link #truncated()} turns true. It reads
 * in chunks of {@value #CHUNK} bytes, so the JVM holds at most the cap plus one chunk per stream.
 */
final class OutputPump implements Runnable {
    static final int CHUNK = 64 * 1024;

    private final InputStream source;
    private final OutputSink sink;
    private final long cap;
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private long kept;
    private volatile boolean truncated;
    private volatile boolean detached;
    /** System.nanoTime() when the current read() began, or 0 while not inside read(). */
    private volatile long readingSince;

    OutputPump(InputStream source, OutputSink sink, long cap) {
        this.source = source;
        this.sink = sink;
        this.cap = cap;
    }

    @Override
    public void run() {
        byte[] buf = new byte[CHUNK];
        try {
            while (!detached) {
                readingSince = System.nanoTime() | 1;
                int n = source.read(buf);
                readingSince = 0;
                if (n < 0 || detached) {
                    break;
                }
                int keep = (int) Math.min(n, cap - kept);
                if (keep > 0) {
                    sink.accept(buf, 0, keep);
                    kept += keep;
                }
                if (keep < n) {
                    truncated = true;
                }
            }
        } catch (IOException | RuntimeException e) {
            // the stream was closed under us (a detach, or the backend tore it down in killTree): its end
        } finally {
            readingSince = 0;
            sink.finish();
            closeQuietly(source);
            done.complete(null);
        }
    }

    /** Completes when the pump stopped: EOF, an error, or after {@link #detach()} once its read returned. */
    CompletableFuture<Void> done() {
        return done;
    }

    /** True when it reached EOF or was detached: nothing more will reach the sink. */
    boolean finished() {
        return done.isDone() || detached;
    }

    boolean truncated() {
        return truncated;
    }

    /** How long the pump has been blocked in read() counted from {@code sinceNanos}, or 0 when not in read. */
    long readBlockedNanos(long sinceNanos, long nowNanos) {
        long r = readingSince;
        return r == 0 ? 0 : nowNanos - Math.max(r, sinceNanos);
    }

    /**
     * Stops following the stream: the sink gets nothing more and is finished now, and our end of the
     * stream is closed on a worker thread (closing may block). A read already blocked in the kernel on a
     * host pipe is not woken by that; the thread then ends when the last writer closes the pipe, which a
     * backend's session close guarantees for everything it contains.
     */
    void detach() {
        if (detached) {
            return;
        }
        detached = true;
        sink.finish();
        ExecThreads.workers().execute(() -> closeQuietly(source));
    }

    private static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException | RuntimeException e) {
            // nothing to do: we are done with it either way
        }
    }
}
