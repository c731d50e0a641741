package dev.sandbox4j.vm.internal.qemu;

import dev.sandbox4j.SandboxStartException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * The host end of the guest agent's virtio-serial port: a unix socket the JVM listens on before QEMU
 * starts, so that QEMU (a client: {@code -chardev socket,path=...}) connects during its start-up and no
 * one polls for a socket file. Not thread-safe; one accept per VM.
 */
public final class AgentSocket implements AutoCloseable {
    private final Path path;
    private final ServerSocketChannel server;

    public AgentSocket(Path path) {
        this.path = path;
        try {
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(path));
        } catch (IOException e) {
            throw new SandboxStartException("cannot listen on the agent socket " + path + ": " + e, e);
        }
    }

    public Path path() {
        return path;
    }

    /** Waits for QEMU to connect, at most {@code timeout}, and no longer than {@code alive} holds. */
    public SocketChannel accept(Duration timeout, BooleanSupplier alive) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Selector sel = Selector.open()) {
            server.configureBlocking(false);
            server.register(sel, SelectionKey.OP_ACCEPT);
            while (System.nanoTime() < deadline) {
                sel.select(20);
                SocketChannel ch = server.accept();
                if (ch != null) {
                    ch.configureBlocking(true);
                    return ch;
                }
                if (!alive.getAsBoolean()) {
                    throw new SandboxStartException("QEMU exited before it connected to the agent socket " + path);
                }
            }
            throw new SandboxStartException("QEMU did not connect to the agent socket " + path + " within " + timeout);
        } catch (IOException e) {
            throw new SandboxStartException("accepting QEMU on " + path + " failed: " + e, e);
        }
    }

    @Override
    public void close() {
        try {
            server.close();
            Files.deleteIfExists(path);
        } catch (IOException ignored) {
            // the runtime directory goes anyway
        }
    }
}
