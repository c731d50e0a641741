package dev.sandbox4j.container.internal.engine;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where the engines listen: an explicit builder option first ({@code docker.host}, {@code podman.host}),
 * then the environment ({@code DOCKER_HOST}; for Podman {@code CONTAINER_HOST}), then the usual sockets.
 * Stateless.
 */
public final class Endpoints {
    private Endpoints() {
    }

    /** The Docker endpoint: option {@code optionKey}, DOCKER_HOST, the usual sockets, else /var/run/docker.sock. */
    public static Endpoint docker(Map<String, String> options, String optionKey) {
        String opt = options.get(optionKey);
        if (opt != null) {
            return parse(opt, "option " + optionKey);
        }
        String env = System.getenv("DOCKER_HOST");
        if (env != null && !env.isBlank()) {
            return parse(env.trim(), "DOCKER_HOST");
        }
        for (Path p : dockerSockets()) {
            if (Files.exists(p)) {
                return Endpoint.unix(p, "default socket");
            }
        }
        return Endpoint.unix(Path.of("/var/run/docker.sock"), "default socket");
    }

    /** The sockets looked at when nothing names one: rootful, then rootless, then Docker Desktop's. */
    public static List<Path> dockerSockets() {
        List<Path> out = new ArrayList<>(List.of(Path.of("/var/run/docker.sock"), Path.of("/run/docker.sock")));
        runtimeDir().ifPresent(d -> out.add(d.resolve("docker.sock")));
        String home = System.getProperty("user.home");
        out.add(Path.of(home, ".docker", "run", "docker.sock"));
        out.add(Path.of(home, ".docker", "desktop", "docker.sock"));
        return out;
    }

    /** A Podman endpoint named by option or CONTAINER_HOST, if one is. */
    public static Optional<Endpoint> podmanExplicit(Map<String, String> options, String optionKey) {
        String opt = options.get(optionKey);
        if (opt != null) {
            return Optional.of(parse(opt, "option " + optionKey));
        }
        String env = System.getenv("CONTAINER_HOST");
        if (env != null && env.startsWith("unix://")) {
            return Optional.of(parse(env.trim(), "CONTAINER_HOST"));
        }
        return Optional.empty();
    }

    /** Podman's usual API sockets (rootful, then rootless); only ones that exist. */
    public static List<Endpoint> podmanSockets() {
        List<Path> candidates = new ArrayList<>(List.of(Path.of("/run/podman/podman.sock")));
        runtimeDir().ifPresent(d -> candidates.add(d.resolve("podman").resolve("podman.sock")));
        return candidates.stream().filter(Files::exists).map(p -> Endpoint.unix(p, "default Podman socket")).toList();
    }

    private static Optional<Path> runtimeDir() {
        String xdg = System.getenv("XDG_RUNTIME_DIR");
        return xdg == null || xdg.isBlank() ? Optional.empty() : Optional.of(Path.of(xdg));
    }

    /** {@code unix:///p}, a bare absolute socket path, or {@code tcp://host:port}. */
    public static Endpoint parse(String text, String source) {
        String t = text.trim();
        if (t.startsWith("/")) {
            return Endpoint.unix(Path.of(t), source);
        }
        URI uri;
        try {
            uri = URI.create(t);
        } catch (IllegalArgumentException e) {
            throw new dev.sandbox4j.InvalidInputException(source + ": '" + text
                    + "' is not an engine address; give unix:///path/to/docker.sock or tcp://host:port", e);
        }
        if ("unix".equals(uri.getScheme()) && uri.getPath() != null && uri.getPath().startsWith("/")) {
            return new Endpoint(URI.create("unix://" + uri.getPath()), source);
        }
        if ("tcp".equals(uri.getScheme()) && uri.getHost() != null) {
            return new Endpoint(uri, source);
        }
        throw new dev.sandbox4j.InvalidInputException(source + ": '" + text
                + "' is not an engine address; give unix:///path/to/docker.sock or tcp://host:port"
                + " (TLS and ssh:// engines are not supported: the workspace is a bind mount, so the engine must run on this host)");
    }
}
