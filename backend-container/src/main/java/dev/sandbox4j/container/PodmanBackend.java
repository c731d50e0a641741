package dev.sandbox4j.container;

import dev.sandbox4j.container.internal.ContainerBackendSupport;
import dev.sandbox4j.container.internal.EngineKind;
import dev.sandbox4j.spi.Availability;
import dev.sandbox4j.spi.BackendSession;
import dev.sandbox4j.spi.Capability;
import dev.sandbox4j.spi.IsolationLevel;
import dev.sandbox4j.spi.SandboxBackend;
import dev.sandbox4j.spi.SandboxSpec;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * The {@code podman} backend (isolation CONTAINER): the {@link DockerBackend}'s containers on Podman,
 * through Podman's Docker-compatible API.
 *
 * <p>Engine: the builder option {@code podman.host}, else {@code CONTAINER_HOST} (a unix socket), else a
 * running Podman API socket (/run/podman/podman.sock, {@code $XDG_RUNTIME_DIR/podman/podman.sock}); when
 * none runs, the backend starts {@code podman system service --time=0} itself on a private socket as a
 * child of this JVM, shares it between this JVM's podman sandboxes, and stops it when the last of them
 * closes (and at JVM exit; the reaper stops one whose JVM died). Policy mapping (the native ABI alone: no
 * 32-bit program runs), images, labels, process-tree kills and the restart after a {@code kill -9 -1} are those
 * of {@link DockerBackend}.
 *
 * <p>Rootless Podman is not used: it maps a container's users onto the engine user's subordinate ids, while
 * every sandbox must run as a host uid (a root JVM's own per sandbox, else the JVM's), the owner of its
 * workspace and of its exec agent's FIFOs. So {@link #probe()} reports the backend unavailable, with why and
 * what this host lacks for rootless Podman, when the only Podman it finds runs rootless: an API socket whose
 * engine says so, or, under a non-root JVM with no API socket it may open, the private service it would
 * start. Thread-safe; stateless.
 */
public final class PodmanBackend implements SandboxBackend {
    private final ContainerBackendSupport support = new ContainerBackendSupport(EngineKind.PODMAN);

    @Override
    public String name() {
        return "podman";
    }

    @Override
    public IsolationLevel isolation() {
        return support.kind().isolation();
    }

    @Override
    public Availability probe() {
        return support.probe();
    }

    @Override
    public Set<Capability> capabilities() {
        return support.kind().capabilities();
    }

    @Override
    public Duration typicalStartup() {
        return support.kind().typicalStartup();
    }

    @Override
    public BackendSession open(SandboxSpec spec) {
        return support.open(spec);
    }

    @Override
    public List<String> reap() {
        return support.reap();
    }
}
