package dev.sandbox4j.container.internal;

import dev.sandbox4j.spi.Capability;
import dev.sandbox4j.spi.IsolationLevel;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;

/**
 * The three backends of this module and what each can enforce. The capabilities do not depend on the
 * host: whether this host's engine is set up to deliver them is {@code probe()}'s business (for gVisor it
 * checks that runsc is registered with the flags that make its network and seccomp enforcement real).
 */
public enum EngineKind {
    DOCKER("docker", IsolationLevel.CONTAINER, "Docker", Duration.ofMillis(400)),
    PODMAN("podman", IsolationLevel.CONTAINER, "Podman", Duration.ofMillis(700)),
    GVISOR("gvisor", IsolationLevel.USER_KERNEL, "gVisor", Duration.ofMillis(900));

    private final String backendName;
    private final IsolationLevel isolation;
    private final String displayName;
    private final Duration typicalStartup;

    EngineKind(String backendName, IsolationLevel isolation, String displayName, Duration typicalStartup) {
        this.backendName = backendName;
        this.isolation = isolation;
        this.displayName = displayName;
        this.typicalStartup = typicalStartup;
    }

    public String backendName() {
        return backendName;
    }

    public IsolationLevel isolation() {
        return isolation;
    }

    public String displayName() {
        return displayName;
    }

    public Duration typicalStartup() {
        return typicalStartup;
    }

    /**
     * What a container of this engine enforces. gVisor lacks NETWORK_HOST: this runsc runs with
     * {@code --network=none} (its netstack cannot start in the root network namespace here), so the
     * host's network is out of its reach, which is the point. gVisor also lacks PIDS_LIMIT: its sandbox
     * kernel has no pids controller (runsc 2022 offers cpu and memory only), and the host's pids cgroup
     * counts the sandbox kernel's own threads, so reaching that limit does not fail a fork with EAGAIN but
     * kills the whole sandbox: that is no enforcement of "at most N processes", so it is not claimed.
     * SYSCALL_FILTER is claimed by all three: runsc applies the OCI seccomp profile (with --oci-seccomp) to
     * the container's init and its children only, and processes started through the Exec API, which is how
     * every gVisor command runs, would run without it; so each of them runs under the seccomp helper
     * ({@link dev.sandbox4j.container.internal.seccomp.SeccompHelper}), which puts the sandbox's system-call
     * table on itself before it executes the command. NO_NEW_PRIVILEGES and DROP_CAPABILITIES are not
     * claimed by gVisor although every gVisor sandbox gets both (the planner always asks for them): gVisor's
     * /proc/self/status has no NoNewPrivs and no CapAmb line, so the contract kit cannot observe them;
     * GvisorBackendTest proves them with prctl/capget instead.
     * None claims RUN_AS_UID: a container shares the host's ids, so it runs as the sandbox's own host uid
     * and cannot show another uid inside. DISK_LIMIT is claimed: with {@code limits.disk} the core puts the
     * workspace on a size-limited storage and the tmpfs paths become binds of its directories.
     */
    public Set<Capability> capabilities() {
        Set<Capability> c = EnumSet.of(Capability.FILESYSTEM_VIEW, Capability.HIDE_PATHS, Capability.TMPFS,
                Capability.NETWORK_NONE, Capability.NETWORK_LOOPBACK, Capability.MEMORY_LIMIT, Capability.CPU_LIMIT,
                Capability.PIDS_LIMIT, Capability.FILE_SIZE_LIMIT, Capability.OPEN_FILES_LIMIT, Capability.SYSCALL_FILTER, Capability.SYSCALL_FILTER_KILL,
                Capability.DISK_LIMIT, Capability.PID_ISOLATION, Capability.NO_NEW_PRIVILEGES,
                Capability.DROP_CAPABILITIES, Capability.CONTAIN_DAEMONS, Capability.KEEP_BACKGROUND, Capability.REAPABLE, Capability.IMAGE_HOST,
                Capability.IMAGE_OCI, Capability.IMAGE_ROOTFS);
        if (this != GVISOR) {
            c.add(Capability.NETWORK_HOST);
        } else {
            c.remove(Capability.PIDS_LIMIT);
            c.remove(Capability.NO_NEW_PRIVILEGES);
            c.remove(Capability.DROP_CAPABILITIES);
        }
        return c;
    }

    /** The prefix of this backend's builder options ({@code docker.}). */
    public String optionPrefix() {
        return backendName + ".";
    }
}
