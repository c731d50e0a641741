package dev.sandbox4j.container.internal.engine;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;

/**
 * One exec's attached streams, on a raw connection to the engine: {@code POST /exec/{id}/start} with
 * {@code Upgrade: tcp}, then the engine's multiplexed frames ({@code [stream, 0, 0, 0, size32]} + payload)
 * demultiplexed into a stdout and a stderr {@link BytePipe}, and stdin written raw to the socket.
 *
 * <p>Why not docker-java's own execStart: its hijacked stdin never half-closes the connection, so a
 * command never sees EOF on its stdin ({@code cat} would wait forever); here closing {@link #stdin()}
 * calls {@code shutdownOutput()}, which the engine turns into EOF on the process's stdin. It also lets
 * {@link #abort()} end both output streams at once, whatever the container still holds open.
 *
 * <p>The first line the exec wrapper writes to stderr ({@value #PID_MARK}{@code <pid>}) is taken off the
 * stream and completes {@link #pid()}: the pid of the command inside the container, which the kill
 * script needs. Thread-safe.
 */
public final class ExecAttach {
    /** Prefix of the wrapper's first stderr line. */
    public static final String PID_MARK = "sandbox4j-exec-pid:";
    private static final int PIPE_BYTES = 256 * 1024;
    private static final int MAX_MARK_LINE = 64;

    private final SocketChannel channel;
    private final BytePipe stdout = new BytePipe(PIPE_BYTES);
    private final BytePipe stderr = new BytePipe(PIPE_BYTES);
    private final CompletableFuture<Long> pid = new CompletableFuture<>();
    private final CompletableFuture<Void> ended = new CompletableFuture<>();
    private final ByteArrayOutputStream markLine = new ByteArrayOutputStream();
    private final boolean expectMark;
    private boolean markDone;
    private volatile boolean aborted;

    private ExecAttach(SocketChannel channel, boolean expectMark) {
        this.channel = channel;
        this.expectMark = expectMark;
        this.markDone = !expectMark;
        if (!expectMark) {
            pid.complete(-1L);
        }
    }

    /**
     * Starts exec {@code execId} and returns its streams; the demultiplexing runs on {@code threadName}.
     *
     * @throws IOException when the engine refuses (the message holds the engine's own) or the connection fails
     */
    public static ExecAttach start(Endpoint endpoint, String execId, boolean expectMark, String threadName) throws IOException {
        SocketChannel ch = EngineSockets.connect(endpoint);
        try {
            byte[] body = "{\"Detach\":false,\"Tty\":false}".getBytes(StandardCharsets.US_ASCII);
            String head = "POST /v1.41/exec/" + execId + "/start HTTP/1.1\r\n"
                    + "Host: localhost\r\nUser-Agent: sandbox4j\r\nContent-Type: application/json\r\n"
                    + "Connection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: " + body.length + "\r\n\r\n";
            writeFully(ch, head.getBytes(StandardCharsets.US_ASCII));
            writeFully(ch, body);
            ByteBuffer rest = readResponseHead(ch, execId);
            ExecAttach a = new ExecAttach(ch, expectMark);
            Thread t = new Thread(() -> a.pump(rest), threadName);
            t.setDaemon(true);
            t.start();
            return a;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    public java.io.InputStream stdout() {
        return stdout.input();
    }

    public java.io.InputStream stderr() {
        return stderr.input();
    }

    /** The command's pid inside the container, once the wrapper reported it; -1 when it never did. */
    public CompletableFuture<Long> pid() {
        return pid;
    }

    /** Completes when the engine closed the stream (both outputs have reached EOF). */
    public CompletableFuture<Void> ended() {
        return ended;
    }

    /** Ends both output streams now and drops the connection; idempotent. */
    public void abort() {
        aborted = true;
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing a socket we give up on: nothing left to do
        }
        stdout.finish();
        stderr.finish();
    }

    public boolean aborted() {
        return aborted;
    }

    /** The command's stdin: bytes go to the engine raw; close() sends EOF (half-closes the connection). */
    public OutputStream stdin() {
        return new OutputStream() {
            private boolean closed;

            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public synchronized void write(byte[] b, int off, int len) throws IOException {
                if (closed) {
                    throw new IOException("stdin of the exec is closed");
                }
                try {
                    ByteBuffer buf = ByteBuffer.wrap(b, off, len);
                    while (buf.hasRemaining()) {
                        channel.write(buf);
                    }
                } catch (IOException e) {
                    throw new IOException("writing to the command's stdin failed (the command or the engine ended): " + e.getMessage(), e);
                }
            }

            @Override
            public synchronized void close() {
                if (closed) {
                    return;
                }
                closed = true;
                try {
                    channel.shutdownOutput();
                } catch (IOException ignored) {
                    // the connection is gone already: the command has no stdin left to end
                }
            }
        };
    }

    private void pump(ByteBuffer initial) {
        byte[] header = new byte[8];
        byte[] payload = new byte[32 * 1024];
        FrameReader in = new FrameReader(channel, initial);
        try {
            while (in.readFully(header, 0, 8)) {
                int stream = header[0];
                int size = ((header[4] & 0xff) << 24) | ((header[5] & 0xff) << 16) | ((header[6] & 0xff) << 8) | (header[7] & 0xff);
                while (size > 0) {
                    int n = Math.min(size, payload.length);
                    if (!in.readFully(payload, 0, n)) {
                        return;
                    }
                    size -= n;
                    if (stream == 1) {
                        stdout.write(payload, 0, n);
                    } else if (stream == 2 || stream == 3) {
                        writeStderr(payload, n);
                    }
                }
            }
        } catch (ClosedChannelException closed) {
            // abort(): the streams end here
        } catch (IOException e) {
            // the engine went away mid-stream: the outputs end; the exit lookup reports the engine failure
        } finally {
            flushMark();
            stdout.finish();
            stderr.finish();
            try {
                channel.close();
            } catch (IOException ignored) {
                // already ended
            }
            ended.complete(null);
        }
    }

    /** Takes the wrapper's pid line off the front of stderr; everything after it passes through. */
    private void writeStderr(byte[] b, int n) throws IOException {
        int off = 0;
        if (!markDone) {
            while (off < n && !markDone) {
                byte c = b[off++];
                if (c == '\n') {
                    String line = markLine.toString(StandardCharsets.ISO_8859_1);
                    markDone = true;
                    if (line.startsWith(PID_MARK)) {
                        try {
                            pid.complete(Long.parseLong(line.substring(PID_MARK.length()).trim()));
                        } catch (NumberFormatException e) {
                            pid.complete(-1L);
                            passThrough(line + "\n");
                        }
                    } else {
                        pid.complete(-1L);
                        passThrough(line + "\n");
                    }
                } else {
                    markLine.write(c);
                    if (markLine.size() > MAX_MARK_LINE) {
                        flushMark();
                    }
                }
            }
        }
        if (off < n) {
            stderr.write(b, off, n - off);
        }
    }

    private void flushMark() {
        if (!markDone) {
            markDone = true;
            pid.complete(-1L);
            try {
                passThrough(markLine.toString(StandardCharsets.ISO_8859_1));
            } catch (IOException ignored) {
                // the reader is gone
            }
        }
    }

    private void passThrough(String s) throws IOException {
        byte[] bytes = s.getBytes(StandardCharsets.ISO_8859_1);
        stderr.write(bytes, 0, bytes.length);
    }

    private static void writeFully(SocketChannel ch, byte[] bytes) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }

    /** Reads the HTTP response head; returns the bytes read past it. Throws with the engine's message unless 101/200. */
    private static ByteBuffer readResponseHead(SocketChannel ch, String execId) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(16 * 1024);
        int end;
        while ((end = headEnd(buf)) < 0) {
            if (!buf.hasRemaining() || ch.read(buf) < 0) {
                throw new IOException("the engine closed the connection while starting exec " + execId);
            }
        }
        String head = new String(buf.array(), 0, end, StandardCharsets.ISO_8859_1);
        String status = head.substring(0, head.indexOf("\r\n"));
        String[] parts = status.split(" ", 3);
        int code = parts.length > 1 ? Integer.parseInt(parts[1]) : 0;
        ByteBuffer rest = ByteBuffer.wrap(buf.array(), end + 4, buf.position() - end - 4).slice();
        if (code == 101 || code == 200) {
            if (code == 200 && head.toLowerCase(Locale.ROOT).contains("transfer-encoding: chunked")) {
                throw new IOException("the engine answered exec start with a chunked body instead of a raw stream: " + status);
            }
            return rest;
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(rest.array(), rest.arrayOffset() + rest.position(), rest.remaining());
        ByteBuffer more = ByteBuffer.allocate(4096);
        while (body.size() < 64 * 1024 && ch.read(more) > 0) {
            body.write(more.array(), 0, more.position());
            more.clear();
        }
        throw new IOException("the engine refused to start exec " + execId + ": " + status + " "
                + body.toString(StandardCharsets.UTF_8).strip());
    }

    private static int headEnd(ByteBuffer buf) {
        byte[] a = buf.array();
        for (int i = 0; i + 3 < buf.position(); i++) {
            if (a[i] == '\r' && a[i + 1] == '\n' && a[i + 2] == '\r' && a[i + 3] == '\n') {
                return i;
            }
        }
        return -1;
    }

    /** Reads exact byte counts from the bytes left over after the response head, then from the channel. */
    private static final class FrameReader {
        private final SocketChannel ch;
        private final ByteBuffer buf = ByteBuffer.allocate(64 * 1024);

        FrameReader(SocketChannel ch, ByteBuffer initial) {
            this.ch = ch;
            buf.put(initial);
            buf.flip();
        }

        /** False at a clean EOF before the first byte of the request. */
        boolean readFully(byte[] b, int off, int len) throws IOException {
            int got = 0;
            while (got < len) {
                if (!buf.hasRemaining()) {
                    buf.clear();
                    int n = ch.read(buf);
                    buf.flip();
                    if (n < 0) {
                        return false;
                    }
                    continue;
                }
                int n = Math.min(len - got, buf.remaining());
                buf.get(b, off + got, n);
                got += n;
            }
            return true;
        }
    }
}
