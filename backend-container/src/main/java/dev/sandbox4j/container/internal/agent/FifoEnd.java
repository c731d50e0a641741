package dev.sandbox4j.container.internal.agent;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Our end of one FIFO, opened on a thread of its own (opening a FIFO blocks until the other side opens
 * it too). {@link #abort()} unblocks a pending open by opening the FIFO read-write itself, then closes
 * whatever got opened. The path is opened without following a symlink and must be a FIFO. Thread-safe.
 */
final class FifoEnd {
    private static final ExecutorService OPENERS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "sandbox4j-fifo-open");
        t.setDaemon(true);
        return t;
    });

    private final Path path;
    private final CompletableFuture<FileChannel> channel = new CompletableFuture<>();
    private volatile boolean aborted;

    private FifoEnd(Path path) {
        this.path = path;
    }

    /** Starts opening {@code path} for reading ({@code write} false) or writing. */
    static FifoEnd open(Path path, boolean write) {
        FifoEnd f = new FifoEnd(path);
        OPENERS.execute(() -> {
            try {
                if (!Files.readAttributes(path, java.nio.file.attribute.BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isOther()) {
                    throw new IOException(path + " is not a FIFO any more");
                }
                FileChannel ch = FileChannel.open(path, write ? StandardOpenOption.WRITE : StandardOpenOption.READ,
                        LinkOption.NOFOLLOW_LINKS);
                if (f.aborted) {
                    ch.close();
                    f.channel.completeExceptionally(new IOException("aborted"));
                } else if (!f.channel.complete(ch)) {
                    ch.close();
                }
            } catch (IOException | RuntimeException e) {
                f.channel.completeExceptionally(e);
            }
        });
        return f;
    }

    /**
     * The daemon threads that open FIFOs and read what the agent writes to them (blocking reads). Also for
     * the agent's other blocking steps: CompletableFuture's default makes a new thread per task on one or
     * two CPUs.
     */
    static java.util.concurrent.Executor threads() {
        return OPENERS;
    }

    CompletableFuture<FileChannel> channel() {
        return channel;
    }

    /** The channel, waiting for the open; IOException when it failed or was aborted. */
    FileChannel get() throws IOException {
        try {
            return channel.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted opening " + path);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        }
    }

    /**
     * Closes this end once it is open (at once when it is): the other side then sees EOF (or EPIPE). A
     * pending open is left to complete, since the other side will open it; abort() is for giving up.
     */
    void closeWhenOpen() {
        channel.thenAccept(ch -> {
            try {
                ch.close();
            } catch (IOException ignored) {
                // closing: nothing left to do
            }
        });
    }

    /** Ends this end now: a pending open is released, an open channel closed. Idempotent. */
    void abort() {
        aborted = true;
        if (!channel.isDone()) {
            try {
                // opening read-write completes the blocked open of the other thread
                FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS).close();
                channel.completeExceptionally(new IOException("aborted"));
            } catch (IOException | RuntimeException e) {
                channel.completeExceptionally(new IOException("aborted"));
            }
        }
        channel.thenAccept(ch -> {
            try {
                ch.close();
            } catch (IOException ignored) {
                // closing: nothing left to do
            }
        });
    }
}
