package dev.sandbox4j.linux;

import dev.sandbox4j.linux.internal.ns.NamespacesBackendSupport;
import dev.sandbox4j.spi.Availability;
import dev.sandbox4j.spi.BackendSession;
import dev.sandbox4j.spi.Capability;
import dev.sandbox4j.spi.IsolationLevel;
import dev.sandbox4j.spi.SandboxBackend;
import dev.sandbox4j.spi.SandboxSpec;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The {@code namespaces} backend: the zero-install path to a NAMESPACE-level sandbox. It needs nothing but
 * the Linux kernel (5.12 or later, user namespaces allowed): its launcher, s4j-launch, is a small C program
 * that this jar carries, compiled by the build, extracted on first use to a private 0700 cache directory
 * and checked against the jar's SHA-256 before it runs.
 *
 * <p>Each exec runs in new user, pid, mount, network (unless the policy's is the host's), ipc, uts and
 * cgroup namespaces, on a root built from the policy (the image read-only, the workspace read-write, a
 * fresh /proc, a minimal /dev, tmpfs paths, hidden paths, then the root made read-only), with the cgroup
 * limits of the sandbox, lowered rlimits, every capability dropped, no new privileges and the seccomp
 * program of the one syscall table ({@code SyscallTable.forSandbox}: the policy's filter, the set-id guard
 * and the network's rules; always, also for a policy without a filter) loaded last. The exec ends when its
 * command exits; its pid 1 reaps orphans and keeps the namespace while a process the command left (a daemon)
 * lives, until {@code close()}, a kill of the exec, or the JVM's end kills that pid 1 and with it the whole
 * namespace.
 *
 * <p><b>Ids.</b> The command runs as the policy's uid inside (65534 when the policy names none: the
 * sandbox's own user), which its user namespace maps to the sandbox's host ids ({@code SandboxHost.ids()}):
 * with a root JVM a uid of its own, which no other sandbox and no host process has, and a user namespace
 * that the launcher makes while still root, so that root owns it and no host user can enter it; the
 * workspace, the policy's mounts and the disk storage are idmapped (what the JVM owns is the sandbox's
 * inside, what the sandbox writes is the JVM's on the host). As another user, the sandbox runs as that user
 * on the host, and memory, cpu and pids limits need a cgroup that user may write (else {@code open} fails,
 * naming the limit).
 *
 * <p><b>Host paths.</b> Every bind source is pinned (the core's pins, and the image's paths and generated
 * files pinned when the sandbox opens); at every exec the launcher resolves each without following a
 * link and binds it only when it is still the pinned object, else the exec fails naming the mount.
 *
 * <p><b>Disk.</b> With {@code limits.disk} (a root JVM) each tmpfs path of the policy is its directory
 * on the core's size-limited storage, which also holds the workspace, instead of a tmpfs of its own.
 *
 * <p>Where bubblewrap is installed, {@code auto} prefers the bubblewrap backend: same level, and its
 * {@link #typicalStartup()} is the smaller. Defaults: none of its own; everything comes from the policy.
 * Thread-safe; {@link #open} and {@link #probe} may be called from any thread.
 */
public final class NamespacesBackend implements SandboxBackend {
    /** The backend's name. */
    public static final String NAME = "namespaces";

    private static final Set<Capability> CAPABILITIES = Set.copyOf(EnumSet.of(Capability.FILESYSTEM_VIEW,
            Capability.HIDE_PATHS, Capability.TMPFS, Capability.NETWORK_NONE, Capability.NETWORK_LOOPBACK,
            Capability.NETWORK_HOST, Capability.MEMORY_LIMIT, Capability.CPU_LIMIT, Capability.PIDS_LIMIT, Capability.DISK_LIMIT,
            Capability.FILE_SIZE_LIMIT, Capability.OPEN_FILES_LIMIT, Capability.SYSCALL_FILTER, Capability.SYSCALL_FILTER_KILL,
            Capability.PID_ISOLATION, Capability.RUN_AS_UID, Capability.NO_NEW_PRIVILEGES,
            Capability.DROP_CAPABILITIES, Capability.CONTAIN_DAEMONS, Capability.REAPABLE, Capability.IMAGE_HOST,
            Capability.IMAGE_DIRECTORY));

    /** For ServiceLoader; does nothing. */
    public NamespacesBackend() {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public IsolationLevel isolation() {
        return IsolationLevel.NAMESPACE;
    }

    /** Runs {@code true} in a trial sandbox (remembered for a minute when it works); never throws. */
    @Override
    public Availability probe() {
        return NamespacesBackendSupport.probe();
    }

    @Override
    public Set<Capability> capabilities() {
        return CAPABILITIES;
    }

    /** About 10 ms here, a little more than bubblewrap's, so that {@code auto} prefers bubblewrap where installed. */
    @Override
    public Duration typicalStartup() {
        return Duration.ofMillis(10);
    }

    @Override
    public BackendSession open(SandboxSpec spec) {
        return NamespacesBackendSupport.open(spec);
    }

    @Override
    public List<String> reap() {
        return NamespacesBackendSupport.reap();
    }
}
