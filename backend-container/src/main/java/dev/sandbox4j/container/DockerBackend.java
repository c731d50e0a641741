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
 * the Engine API (docker-java); its commands are forked by an exec agent, the container's main process.
 *
 * <p>Engine: the builder option {@code docker.host} ({@code unix:///path} or {@code tcp://host:port}),
 * else {@code DOCKER_HOST}, else the first socket that exists of /var/run/docker.sock, /run/docker.sock,
 * {@code $XDG_RUNTIME_DIR/docker.sock}, ~/.docker/run/docker.sock. The engine must run on this host: the
 * workspace and the host image's system directories are bind mounts. {@link #probe()} reports the backend
 * unavailable, with the reason, when this JVM may not open the socket (an unprivileged user outside the
 * 'docker' group) or the engine runs rootless (its containers' users are subordinate ids, not the host uid a
 * sandbox must run as).
 *
 * <p>Each sandbox: a static init of the host (tini, docker-init or catatonit) as PID 1, read-only root
 * file system, the policy's memory (swap included), CPUs, pids, file-size and open-files limits, cap-drop
 * ALL, no-new-privileges, the seccomp profile of the sandbox's system-call table on the engine's default
 * allowlist (for every sandbox: the set-id guard and the vsock rule apply whatever the policy). The profile
 * lists the host's native ABI alone (x86_64; aarch64): an allowlist cannot hold the table on i386, where
 * libseccomp adds every {@code socket} ALLOW rule to {@code socketcall(SYS_SOCKET, ...)} without its address
 * family test, so {@code socketcall(SYS_SOCKET, {AF_VSOCK, ...})} would pass. A call through another ABI (int
 * 0x80, an x32 number) gets libseccomp's bad-architecture action, which runc leaves at its default: the
 * calling thread is killed with SIGSYS. <b>So no 32-bit program runs in these sandboxes</b>: its first system
 * call kills it (exit status 159, "Bad system call"). Further:
 * network {@code none} (for network none also with engine networking disabled: a network namespace of its
 * own holding only a loopback, and no network hook for dockerd to run at every start), or the host's, the
 * workspace read-write at /workspace, tmpfs mounts (with {@code limits.disk}: the core's size-limited
 * storage directories instead). Every sandbox runs as its own host uid and gid ({@code SandboxSpec.host().ids()}:
 * a fresh uid per sandbox with a root JVM), to which the workspace is handed for the sandbox's life; a
 * container has no uid mapping, so an explicit {@code process.uid} is refused (no RUN_AS_UID). Every bind
 * source, the backend's own (the host image's system directories, the init, the exec agent's directory)
 * included, is a path pinned with {@code spec.host().pin} and handed over as its engine source: with a root JVM
 * a private nosuid,nodev (and read-only) bind that no sandbox can replace with a link, which runc mounts as it
 * is, so that every bind inside is nosuid,nodev ({@code /usr} of the host image too). What the core's files
 * API makes in the workspace goes to the sandbox's ids ({@code filesOwner()}). Images:
 * {@link dev.sandbox4j.SandboxImage#host()} (a tiny local base image with the host's
 * system directories mounted read-only; works offline), {@code oci(ref)} (local, else pulled with
 * progress events), {@code rootfs(tarball)} (imported once). Every container carries the
 * {@link dev.sandbox4j.spi.SessionLabels}; close() removes it, a shutdown hook removes the rest, and
 * {@link #reap()} removes those of JVMs that died.
 *
 * <p>A timeout or kill stops the exec's whole process tree (every process of its session, group and
 * descendants; each command reports its pid): from the host, where the JVM may signal the container's
 * processes (a root JVM; an unprivileged one of the container's uid), which needs no process inside and so
 * holds at the pids limit; else with a kill script as a second exec, which must end within 1.2 s; else the
 * engine kills the whole container, which the next command starts again (workspace kept, tmpfs contents
 * lost; a {@code limits.pids} violation when the policy has that limit, a progress event otherwise). So a
 * timeout returns within about that of its deadline under a fork bomb or a memory hog. A command runs as the
 * sandbox's uid, as does the exec agent (the container's main process), so a command's {@code kill -9 -1}
 * kills the agent and stops the container: the command then ends at once with 137 (the agent's wrapper of
 * each command holds its exit FIFO, whose end is read as a kill), and the next command starts the container
 * again, reported as a progress event ("sandbox restart"). Images need {@code /bin/sh} and {@code sleep}.
 * Thread-safe; stateless.
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
