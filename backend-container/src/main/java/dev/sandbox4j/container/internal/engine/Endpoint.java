package dev.sandbox4j.container.internal.engine;

import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where an engine's API listens, and where that address came from (for error messages).
 *
 * @param uri    {@code unix:///path/to.sock} or {@code tcp://host:port}
 * @param source what named it: {@code option docker.host}, {@code DOCKER_HOST}, {@code default socket}...
 */
public record Endpoint(URI uri, String source) {
    public Endpoint {
        String scheme = uri.getScheme();
        if (!"unix".equals(scheme) && !"tcp".equals(scheme)) {
            throw new IllegalArgumentException("engine address '" + uri + "' (" + source
                    + ") is neither unix:///path nor tcp://host:port");
        }
    }

    public static Endpoint unix(Path socket, String source) {
        return new Endpoint(URI.create("unix://" + socket.toAbsolutePath()), source);
    }

    /** The socket file for a unix endpoint. */
    public Optional<Path> socketPath() {
        return "unix".equals(uri.getScheme()) ? Optional.of(Path.of(uri.getPath())) : Optional.empty();
    }

    @Override
    public String toString() {
        return uri + " (" + source + ")";
    }
}
