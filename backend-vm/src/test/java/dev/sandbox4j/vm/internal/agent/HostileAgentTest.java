package dev.sandbox4j.vm.internal.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandbox4j.ExecException;
import dev.sandbox4j.vm.internal.protocol.ExecRequest;
import dev.sandbox4j.vm.internal.protocol.Frame;
import dev.sandbox4j.vm.internal.protocol.FrameCodec;
import dev.sandbox4j.vm.internal.protocol.FrameType;
import dev.sandbox4j.vm.internal.protocol.PayloadWriter;
import dev.sandbox4j.vm.internal.protocol.ReadyReport;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The host's connection facing a hostile or broken guest: malformed frames break the connection with a
 * reason, every waiting caller is released with an ExecException, and nothing hangs or crashes.
 */
class HostileAgentTest {

    static final class Fake implements AutoCloseable {
        // an NIO pipe, not PipedInputStream: that one fails the reader once the last writing thread has ended
        final java.nio.channels.Pipe pipe = java.nio.channels.Pipe.open();
        final OutputStream guestWrites = java.nio.channels.Channels.newOutputStream(pipe.sink());
        final ByteArrayOutputStream hostWrote = new ByteArrayOutputStream();
        final List<String> broken = new CopyOnWriteArrayList<>();
        final AgentConnection c;

        Fake() throws IOException {
            java.io.InputStream hostReads = java.nio.channels.Channels.newInputStream(pipe.source());
            OutputStream toGuest = new OutputStream() {
                @Override
                public synchronized void write(int b) {
                    hostWrote.write(b);
                }

                @Override
                public synchronized void write(byte[] b, int off, int len) {
                    hostWrote.write(b, off, len);
                }
            };
            c = new AgentConnection("fake", hostReads, toGuest, broken::add);
            c.start();
        }

        void guest(Frame f) throws IOException {
            guestWrites.write(FrameCodec.encode(f));
            guestWrites.flush();
        }

        void guestRaw(byte[] b) throws IOException {
            guestWrites.write(b);
            guestWrites.flush();
        }

        @Override
        public void close() throws IOException {
            c.close();
            guestWrites.close();
        }
    }

    static Frame ready() {
        return new Frame(FrameType.READY, 0, new PayloadWriter().str(ReadyReport.VERSION).str("6.1.0").toByteArray());
    }

    @Test
    @DisplayName("garbage instead of a frame: the connection breaks, naming the bytes, and a waiting exec is released")
    void garbageBreaksConnection() throws Exception {
        try (Fake f = new Fake()) {
            f.guest(ready());
            f.c.awaitReady(Duration.ofSeconds(5));
            Thread t = new Thread(() -> {
                try {
                    Thread.sleep(200);
                    f.guestRaw("HTTP/1.1 200 OK\r\n\r\n".getBytes());
                } catch (Exception ignored) {
                    // the test fails on its own when this does not arrive
                }
            });
            t.start();
            assertThatThrownBy(() -> f.c.exec(ExecRequest.plain(List.of("true"), List.of(), "/", HostAgent.FILTER), Duration.ofSeconds(10), r -> { }))
                    .isInstanceOf(ExecException.class).hasMessageContaining("malformed frame header");
            awaitBroken(f);
            assertThat(f.broken).singleElement().asString().contains("magic 4854");
            assertThatThrownBy(() -> f.c.ping(new byte[0], Duration.ofSeconds(1))).isInstanceOf(ExecException.class)
                    .hasMessageContaining("closed");
        }
    }

    @Test
    @DisplayName("an over-long length is refused without allocating it; a running exec ends with EOF and a failed exit")
    void hugeLengthFailsRunningExec() throws Exception {
        try (Fake f = new Fake()) {
            f.guest(ready());
            f.c.awaitReady(Duration.ofSeconds(5));
            Thread starter = new Thread(() -> {
                try {
                    Thread.sleep(200);
                    f.guest(new Frame(FrameType.STARTED, 1, new PayloadWriter().u32(42).toByteArray()));
                } catch (Exception ignored) {
                    // see above
                }
            });
            starter.start();
            AgentExec x = f.c.exec(ExecRequest.plain(List.of("true"), List.of(), "/", HostAgent.FILTER), Duration.ofSeconds(10), r -> { });
            f.guest(new Frame(FrameType.STDOUT, 1, "partial".getBytes()));
            f.guestRaw(new byte[] {0x53, 0x34, (byte) 0x85, 0, 0, 0, 0, 1, 0x40, 0, 0, 0});
            assertThat(x.stdout().readAllBytes()).asString().isEqualTo("partial");
            assertThat(x.stderr().readAllBytes()).isEmpty();
            assertThatThrownBy(() -> x.onExit().get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(ExecException.class).hasMessageContaining("length 1073741824");
        }
    }

    @Test
    @DisplayName("frames the protocol does not allow (a host type, a stray id, READY twice, a bad EXIT) break the connection")
    void protocolViolations() throws Exception {
        List<Frame> bad = List.of(
                Frame.of(FrameType.EXEC, 5),
                new Frame(FrameType.STDOUT, 77, "x".getBytes()),
                ready(),
                new Frame(FrameType.OK, 0, new byte[0]));
        for (Frame b : bad) {
            try (Fake f = new Fake()) {
                f.guest(ready());
                f.c.awaitReady(Duration.ofSeconds(5));
                f.guest(b);
                awaitBroken(f);
                assertThat(f.broken).as("after %s", b).hasSize(1);
            }
        }
    }

    private static void awaitBroken(Fake f) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (f.broken.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
    }

    @Test
    @DisplayName("a guest that never says READY gives a TimeoutException within the bound")
    void neverReady() throws Exception {
        try (Fake f = new Fake()) {
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> f.c.awaitReady(Duration.ofMillis(300))).isInstanceOf(java.util.concurrent.TimeoutException.class)
                    .hasMessageContaining("READY");
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
        }
    }
}
