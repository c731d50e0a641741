package dev.sandbox4j.spi;

/**
 * What a backend can enforce or provide. A policy part that needs a capability the backend lacks is
 * refused at build(). The contract test kit runs the checks of every declared capability.
 */
public enum Capability {
    /** A private file-system view (host files outside it unreachable), read-only and read-write mounts. */
    FILESYSTEM_VIEW,
    /** Paths hidden inside the view. */
    HIDE_PATHS,
    /** Private tmpfs mounts. */
    TMPFS,
    /** No network at all: the host's 127.0.0.1 unreachable. */
    NETWORK_NONE,
    /** A private loopback only. */
    NETWORK_LOOPBACK,
    /** The host's network. */
    NETWORK_HOST,
    MEMORY_LIMIT,
    CPU_LIMIT,
    PIDS_LIMIT,
    FILE_SIZE_LIMIT,
    OPEN_FILES_LIMIT,
    /** {@code limits.disk}: what the sandbox stores on the host, all its writable places together, bounded. */
    DISK_LIMIT,
    /** A system-call filter from {@code SyscallPolicy} whose denied calls fail with EPERM. */
    SYSCALL_FILTER,
    /** A system-call filter whose denied calls kill the process ({@code SyscallPolicy.Action.KILL}, SIGSYS). */
    SYSCALL_FILTER_KILL,
    /** Own pid view: host processes are neither visible nor signalable. */
    PID_ISOLATION,
    /**
     * Runs the command as the uid the policy names, mapped onto the sandbox's own host uid (a user namespace,
     * or a guest kernel); a backend whose sandboxes share the host's ids cannot, and runs every sandbox as
     * its own host uid instead.
     */
    RUN_AS_UID,
    NO_NEW_PRIVILEGES,
    DROP_CAPABILITIES,
    /** Processes that daemonised (double fork, setsid) are killed by close(). */
    CONTAIN_DAEMONS,
    /**
     * A process that a command leaves running in the background (with {@code &}, nohup, setsid or a double
     * fork) outlives the command: later commands of the same sandbox see it, signal it and reach its
     * loopback ports; {@code close()} ends it (with {@link #CONTAIN_DAEMONS}). A backend without it ends
     * such a process with its command, or keeps it out of later commands' reach: its README entry says which.
     */
    KEEP_BACKGROUND,
    /** Leftovers of a crashed JVM can be found by label and removed. */
    REAPABLE,
    IMAGE_HOST,
    IMAGE_OCI,
    IMAGE_DIRECTORY,
    IMAGE_ROOTFS,
    IMAGE_VM
}
