package dev.sandbox4j.container.internal.engine;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Opens raw connections to an engine with the JDK's own sockets, and explains why one cannot be made:
 * the socket file is missing, nobody listens on it (a stale socket of a stopped engine), or this user
 * may not open it. Stateless.
 */
public final class EngineSockets {
    private EngineSockets() {
    }

    /** A connected, blocking channel to the engine. */
    public static SocketChannel connect(Endpoint endpoint) throws IOException {
        Optional<Path> socket = endpoint.socketPath();
        if (socket.isPresent()) {
            SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                ch.connect(UnixDomainSocketAddress.of(socket.get()));
            } catch (IOException | RuntimeException e) {
                ch.close();
                throw e;
            }
            return ch;
        }
        int port = endpoint.uri().getPort() > 0 ? endpoint.uri().getPort() : 2375;
        return SocketChannel.open(new InetSocketAddress(endpoint.uri().getHost(), port));
    }

    /** Why an engine cannot be reached, and the way out. */
    public record Problem(String reason, String fix) {
        /** {@code reason; fix: fix}. */
        public String message() {
            return reason + "; fix: " + fix;
        }
    }

    /** {@link #check} as one message, or empty when a connection can be opened. */
    public static Optional<String> problem(Endpoint endpoint, String engineName, String startHint) {
        return check(endpoint, engineName, startHint).map(Problem::message);
    }

    /**
     * Empty when a connection can be opened; otherwise why not and the fix, naming the engine
     * ({@code engineName}: "Docker", "Podman") and how to start it ({@code startHint}).
     */
    public static Optional<Problem> check(Endpoint endpoint, String engineName, String startHint) {
        Optional<Path> socket = endpoint.socketPath();
        if (socket.isPresent() && !Files.exists(socket.get())) {
            return Optional.of(new Problem(engineName + " engine socket " + socket.get() + " (" + endpoint.source()
                    + ") does not exist: the engine is not running there", startHint));
        }
        try {
            connect(endpoint).close();
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            String text = String.valueOf(e.getMessage());
            if (text.contains("ermission denied")) {
                return Optional.of(new Problem("permission denied opening the " + engineName + " engine socket " + endpoint
                        + " as user " + System.getProperty("user.name"), "run as a user allowed to use it (for Docker: a"
                        + " member of the 'docker' group, or root), or point " + ("Docker".equals(engineName) ? "DOCKER_HOST"
                        : "the host option") + " at a socket of a rootful engine this user may open (a rootless engine"
                        + " maps the sandbox's user onto other host ids and is refused)"));
            }
            if (text.contains("onnection refused")) {
                return Optional.of(new Problem("nothing listens on the " + engineName + " engine socket " + endpoint
                        + " (a stale socket: the engine stopped)", startHint));
            }
            return Optional.of(new Problem("cannot connect to the " + engineName + " engine at " + endpoint + ": " + e,
                    startHint));
        }
    }
}
