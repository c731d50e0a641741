package dev.sandbox4j.container.internal.engine;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

/**
 * A live connection through the engine for the life of one container: {@code POST /containers/{id}/wait}
 * (HTTP/1.0, so the engine closes the connection after its answer), which the engine answers only when
 * the container stops. So {@link #ended()} completes when the container stopped ({@link Outcome#STOPPED})
 * or when the engine went away under it ({@link Outcome#ENGINE_LOST}: the connection broke with no
 * answer: the engine was stopped, killed or restarted). The session uses it where it has no engine
 * connection of its own to notice either: the in-container exec agent runs commands without the engine.
 * Costs one socket and one daemon thread per sandbox. Thread-safe.
 */
public final class ContainerWatch {
    /** Why the watch ended. */
    public enum Outcome {
        /** The engine answered: the container is no longer running. */
        STOPPED,
        /** The connection to the engine broke without an answer. */
        ENGINE_LOST,
        /** {@link #close()} ended it. */
        CLOSED
    }

    private final SocketChannel channel;
    private final CompletableFuture<Outcome> ended = new CompletableFuture<>();
    private volatile IOException lostBecause;

    private ContainerWatch(SocketChannel channel) {
        this.channel = channel;
    }

    /**
     * Starts watching container {@code id}.
     *
     * @throws IOException when no connection to the engine can be made
     */
    public static ContainerWatch start(Endpoint endpoint, String id, String threadName) throws IOException {
        SocketChannel ch = EngineSockets.connect(endpoint);
        ContainerWatch w = new ContainerWatch(ch);
        try {
            String req = "POST /v1.41/containers/" + id + "/wait HTTP/1.0\r\nHost: localhost\r\nUser-Agent: sandbox4j\r\n"
                    + "Content-Length: 0\r\n\r\n";
            ByteBuffer b = ByteBuffer.wrap(req.getBytes(StandardCharsets.US_ASCII));
            while (b.hasRemaining()) {
                ch.write(b);
            }
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        Thread t = new Thread(w::read, threadName);
        t.setDaemon(true);
        t.start();
        return w;
    }

    private void read() {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        ByteBuffer buf = ByteBuffer.allocate(4096);
        try {
            while (channel.read(buf) >= 0) {
                if (all.size() < 64 * 1024) {
                    all.write(buf.array(), 0, buf.position());
                }
                buf.clear();
            }
            String answer = all.toString(StandardCharsets.UTF_8);
            if (answer.contains("StatusCode")) {
                ended.complete(Outcome.STOPPED);
            } else {
                lostBecause = new IOException("the engine closed the connection of the container's wait without an answer"
                        + (answer.isBlank() ? "" : " (" + answer.strip().lines().findFirst().orElse("") + ")"));
                ended.complete(Outcome.ENGINE_LOST);
            }
        } catch (IOException e) {
            if (!ended.isDone()) {
                lostBecause = e instanceof java.nio.channels.ClosedChannelException ? null : e;
                ended.complete(lostBecause == null ? Outcome.CLOSED : Outcome.ENGINE_LOST);
            }
        } finally {
            try {
                channel.close();
            } catch (IOException ignored) {
                // already closed
            }
        }
    }

    /** Completes when the container stopped, the engine went away, or {@link #close()} was called. */
    public CompletableFuture<Outcome> ended() {
        return ended;
    }

    /** Why the connection broke, when {@link #ended()} is {@link Outcome#ENGINE_LOST}. */
    public IOException lostBecause() {
        IOException e = lostBecause;
        return e != null ? e : new IOException("connection to the engine closed");
    }

    /** Drops the connection; idempotent. */
    public void close() {
        ended.complete(Outcome.CLOSED);
        try {
            channel.close();
        } catch (IOException ignored) {
            // already closed
        }
    }
}
