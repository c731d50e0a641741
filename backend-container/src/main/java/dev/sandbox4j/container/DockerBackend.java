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
 * The {@code docker} backend (isolation CONTAINER): one container per sandbox on a Docker engine, through
 * the Engine API (docker-java), commands run through the Exec API.
 *
 * <p>Engine: the builder option {@code docker.host} ({@code unix:///path} or {@code tcp://host:port}),
 * else {@code DOCKER_HOST}, else the first socket that exists of /var/run/docker.sock, /run/docker.sock,
 * {@code $XDG_RUNTIME_DIR/docker.sock}, ~/.docker/run/docker.sock. The engine must run on this host: the
 * workspace and the host image's system directories are bind mounts.
 *
 * <p>Each sandbox: a static init of the host (tini, docker-init or catatonit) as PID 1, read-only root
 * file system, the policy's memory (swap included), CPUs, pids, file-size and open-files limits, cap-drop
 * ALL, no-new-privileges, the seccomp profile of the sandbox's system-call table on the engine's default
 * allowlist (for every sandbox: the set-id guard and the vsock rule apply whatever the policy),
 * network {@code none} (for network none also with engine networking disabled: a network namespace of its
 * own holding only a loopback, and no network hook for dockerd to run at every start), or the host's, the
 * workspace read-write at /workspace, tmpfs mounts (with {@code limits.disk}: the core's size-limited
 * storage directories instead). Every sandbox runs as its own host uid and gid ({@code SandboxSpec.host().ids()}:
 * a fresh uid per sandbox with a root JVM), to which the workspace is handed for the sandbox's life; a
 * container has no uid mapping, so an explicit {@code process.uid} is refused (no RUN_AS_UID). Every bind
 * source is a pinned path's engine source: with a root JVM a private nosuid,nodev bind that no sandbox can
 * replace with a link. Images: {@link dev.sandbox4j.SandboxImage#host()} (a tiny local base image with the host's
 * system directories mounted read-only; works offline), {@code oci(ref)} (local, else pulled with
 * progress events), {@code rootfs(tarball)} (imported once). Every container carries the
 * {@link dev.sandbox4j.spi.SessionLabels}; close() removes it, a shutdown hook removes the rest, and
 * {@link #reap()} removes those of JVMs that died.
 *
 * <p>A timeout or kill stops the exec's whole process tree: each command runs under a small sh wrapper
 * that reports its pid, and a second exec stops and kills every process of its session and descendants.
 * Images need {@code /bin/sh} and {@code sleep}. Thread-safe; stateless.
 */
public final class DockerBackend implements SandboxBackend {
    private final ContainerBackendSupport support = new ContainerBackendSupport(EngineKind.DOCKER);

    @Override
    public String name() {
        return "docker";
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
