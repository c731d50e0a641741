package dev.sandbox4j.vm.internal.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Incoming} against a stand-in for QEMU's incoming socket: a reader that finishes, and one that hangs. */
class IncomingTest {
    @TempDir
    Path dir;

    @Test
    @DisplayName("the whole state arrives, and load returns once the reader closes")
    void streamsTheWholeState() throws Exception {
        Path state = state(3 << 20);
        Path sock = dir.resolve("in.sock");
        try (ServerSocketChannel server = listen(sock)) {
            CompletableFuture<byte[]> got = CompletableFuture.supplyAsync(() -> {
                try (SocketChannel c = server.accept()) {
                    java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
                    ByteBuffer b = ByteBuffer.allocate(65536);
                    while (c.read(b.clear()) >= 0) {
                        all.write(b.array(), 0, b.position());
                    }
                    return all.toByteArray();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            Incoming.load(sock, state, Duration.ofSeconds(20));
            assertThat(got.get()).isEqualTo(Files.readAllBytes(state));
        }
    }

    @Test
    @DisplayName("a reader that stops reading (a hung QEMU): IOException naming the byte and the timeout, not a hang")
    void hungReaderTimesOut() throws Exception {
        // far more than a unix socket's buffers hold, so the writer must wait for the reader
        Path state = state(16 << 20);
        Path sock = dir.resolve("in.sock");
        try (ServerSocketChannel server = listen(sock)) {
            CompletableFuture<SocketChannel> accepted = CompletableFuture.supplyAsync(() -> {
                try {
                    return server.accept();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> Incoming.load(sock, state, Duration.ofMillis(500)))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("QEMU did not take the snapshot state (byte")
                    .hasMessageContaining("within PT0.5S");
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("bounded").isLessThan(Duration.ofSeconds(30));
            accepted.get().close();
        }
    }

    @Test
    @DisplayName("a reader that takes everything but never closes: IOException after the timeout")
    void readerThatNeverClosesTimesOut() throws Exception {
        Path state = state(4096);
        Path sock = dir.resolve("in.sock");
        try (ServerSocketChannel server = listen(sock)) {
            CompletableFuture<SocketChannel> accepted = CompletableFuture.supplyAsync(() -> {
                try {
                    SocketChannel c = server.accept();
                    ByteBuffer b = ByteBuffer.allocate(8192);
                    int total = 0;
                    while (total < 4096) {
                        total += c.read(b);
                    }
                    return c;
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            assertThatThrownBy(() -> Incoming.load(sock, state, Duration.ofMillis(500)))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("QEMU did not finish loading the snapshot state within PT0.5S");
            accepted.get().close();
        }
    }

    private ServerSocketChannel listen(Path sock) throws IOException {
        ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        s.bind(UnixDomainSocketAddress.of(sock));
        return s;
    }

    private Path state(int bytes) throws IOException {
        byte[] b = new byte[bytes];
        new Random(42).nextBytes(b);
        return Files.write(dir.resolve("state"), b);
    }
}
