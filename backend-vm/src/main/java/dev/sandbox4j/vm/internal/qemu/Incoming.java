package dev.sandbox4j.vm.internal.qemu;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;

/**
 * Streams a saved device state into a QEMU started with {@code -incoming unix:PATH} ({@link VmPlan#incomingSocket})
 * and waits until QEMU has read it: QEMU closes the connection once the state is loaded or refused. Starting
 * the load this way costs no QMP round trip and no process (an {@code exec:} URI runs a shell and cat).
 * Stateless.
 */
public final class Incoming {
    private Incoming() {
    }

    /**
     * Sends {@code state} to QEMU's incoming socket and returns once QEMU has closed the connection; the
     * caller then asks QEMU whether the load succeeded.
     *
     * @throws IOException when the socket or the file fails, or QEMU does not close within {@code timeout}
     */
    public static void load(Path socket, Path state, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
             FileChannel in = FileChannel.open(state, StandardOpenOption.READ);
             Selector sel = Selector.open()) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            // non-blocking from here: a QEMU that stops reading (hung) must cost the timeout, never a hang
            ch.configureBlocking(false);
            SelectionKey key = ch.register(sel, SelectionKey.OP_WRITE);
            long size = in.size();
            for (long at = 0; at < size; ) {
                long n = in.transferTo(at, size - at, ch);
                if (n < 0) {
                    throw new IOException("QEMU stopped reading the snapshot state at byte " + at + " of " + size);
                }
                at += n;
                if (n == 0) {
                    await(sel, deadline, timeout, "take the snapshot state (byte " + at + " of " + size + ")");
                }
            }
            ch.shutdownOutput();
            key.interestOps(SelectionKey.OP_READ);
            ByteBuffer sink = ByteBuffer.allocate(512);
            while (true) {
                sink.clear();
                if (ch.read(sink) < 0) {
                    return; // QEMU is done with the stream
                }
                await(sel, deadline, timeout, "finish loading the snapshot state");
            }
        }
    }

    /** Waits until the channel is ready again, or throws once {@code deadline} has passed. */
    private static void await(Selector sel, long deadline, Duration timeout, String what) throws IOException {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            throw new IOException("QEMU did not " + what + " within " + timeout);
        }
        sel.select(Math.max(1, left / 1_000_000));
        sel.selectedKeys().clear();
    }
}
