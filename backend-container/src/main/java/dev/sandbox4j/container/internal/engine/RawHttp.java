package dev.sandbox4j.container.internal.engine;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A bounded-time HTTP/1.0 GET to an engine, for the few reads docker-java's model does not carry (the
 * runtimes' arguments in {@code /info}) and for probes that must never hang. Stateless.
 */
public final class RawHttp {
    private RawHttp() {
    }

    /** A 2xx answer: its header lines (names in lower case) and its body. */
    public record Response(java.util.Map<String, String> headers, String body) {
    }

    /** The body of {@code GET path}; throws IOException for a non-2xx status (with the body) or after {@code max}. */
    public static String get(Endpoint endpoint, String path, Duration max) throws IOException {
        return exchange(endpoint, path, max).body();
    }

    /** {@code GET path} with the answer's headers; throws IOException for a non-2xx status or after {@code max}. */
    public static Response exchange(Endpoint endpoint, String path, Duration max) throws IOException {
        return send(endpoint, "GET " + path + " HTTP/1.0\r\nHost: localhost\r\nUser-Agent: sandbox4j\r\n\r\n", null, path, max);
    }

    /**
     * {@code POST path} with a body of {@code length} bytes read from {@code body} (an image tarball for
     * {@code /images/create?fromSrc=-}: docker-java's CreateImageCmd sends its stream as JSON, which the
     * engine rejects as a broken tar). Returns the response body; throws for a non-2xx status.
     */
    public static String post(Endpoint endpoint, String path, String contentType, java.io.InputStream body, long length,
                              Duration max) throws IOException {
        String head = "POST " + path + " HTTP/1.0\r\nHost: localhost\r\nUser-Agent: sandbox4j\r\nContent-Type: "
                + contentType + "\r\nContent-Length: " + length + "\r\n\r\n";
        return send(endpoint, head, body, path, max).body();
    }

    private static Response send(Endpoint endpoint, String head, java.io.InputStream body, String path, Duration max)
            throws IOException {
        SocketChannel ch = EngineSockets.connect(endpoint);
        CompletableFuture<String> f = CompletableFuture.supplyAsync(() -> {
            try {
                ByteBuffer req = ByteBuffer.wrap(head.getBytes(StandardCharsets.US_ASCII));
                while (req.hasRemaining()) {
                    ch.write(req);
                }
                if (body != null) {
                    byte[] chunk = new byte[64 * 1024];
                    int n;
                    while ((n = body.read(chunk)) >= 0) {
                        ByteBuffer b = ByteBuffer.wrap(chunk, 0, n);
                        while (b.hasRemaining()) {
                            ch.write(b);
                        }
                    }
                }
                ByteArrayOutputStream all = new ByteArrayOutputStream();
                ByteBuffer buf = ByteBuffer.allocate(16 * 1024);
                while (ch.read(buf) >= 0) {
                    all.write(buf.array(), 0, buf.position());
                    buf.clear();
                }
                return all.toString(StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        try {
            String resp = f.get(max.toMillis(), TimeUnit.MILLISECONDS);
            int split = resp.indexOf("\r\n\r\n");
            if (split < 0) {
                throw new IOException("malformed answer from the engine to " + path);
            }
            String status = resp.substring(0, resp.indexOf("\r\n"));
            String text = resp.substring(split + 4);
            String[] parts = status.split(" ", 3);
            if (parts.length < 2 || !parts[1].startsWith("2")) {
                throw new IOException(path + ": " + status + " " + text.strip());
            }
            java.util.Map<String, String> headers = new java.util.HashMap<>();
            for (String line : resp.substring(0, split).split("\r\n")) {
                int colon = line.indexOf(':');
                if (colon > 0) {
                    headers.put(line.substring(0, colon).strip().toLowerCase(java.util.Locale.ROOT), line.substring(colon + 1).strip());
                }
            }
            return new Response(java.util.Map.copyOf(headers), text);
        } catch (TimeoutException e) {
            throw new IOException("the engine at " + endpoint + " did not answer " + path + " within "
                    + max.toMillis() + " ms (hung?)", e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause() instanceof java.io.UncheckedIOException u ? u.getCause() : e.getCause();
            throw c instanceof IOException io ? io : new IOException(c);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } finally {
            ch.close();
        }
    }
}
