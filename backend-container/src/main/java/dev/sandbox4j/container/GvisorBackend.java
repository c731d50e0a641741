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
 * The {@code gvisor} backend (isolation USER_KERNEL): the {@link DockerBackend}'s containers run by gVisor's
 * {@code runsc} as the Docker engine's OCI runtime, so the sandboxed code talks to gVisor's user-space
 * kernel, never to the host kernel directly.
 *
 * <p>Engine: the builder option {@code gvisor.host}, else as for {@link DockerBackend}; the runtime is
 * {@code runsc} (option {@code gvisor.runtime} names another). {@link #probe()} requires the runtime to be
 * registered with {@code --network=none} or {@code host} and {@code --oci-seccomp}; the host's network
 * itself is not offered (no NETWORK_HOST). A seccomp filter is not offered (no SYSCALL_FILTER): runsc
 * applies the profile to the container's init only, not to the exec'd commands; the sandboxed code meets
 * gVisor's kernel instead of the host's, which is this backend's boundary. A memory limit is enforced on
 * the whole sandbox (gVisor's kernel included): a command that exceeds it gets the sandbox OOM-killed, and
 * the backend reports a limits.memory violation, ends the command with 137 and restarts the container
 * (the workspace survives, tmpfs contents and running processes do not). Every gVisor sandbox runs with no
 * capabilities and no-new-privileges, whatever the policy asks; the two are not declared as capabilities
 * because gVisor's /proc does not show them to the contract kit. A pids limit is not
 * offered either (no PIDS_LIMIT): this gVisor has no pids controller of its own, and the host's pids
 * cgroup, which also counts gVisor's own threads, stops the whole sandbox when reached instead of failing
 * a fork; a policy with {@code limits.pids} is refused at build(). The daemonless path (runsc with an OCI
 * bundle, without an engine) is not implemented. Thread-safe; stateless.
 */
public final class GvisorBackend implements SandboxBackend {
    private final ContainerBackendSupport support = new ContainerBackendSupport(EngineKind.GVISOR);

    @Override
    public String name() {
        return "gvisor";
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
