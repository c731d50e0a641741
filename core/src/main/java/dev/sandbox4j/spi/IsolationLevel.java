package dev.sandbox4j.spi;

/**
 * How strongly a backend separates the sandbox from the host, weakest first. {@code auto} prefers the
 * strongest local level; it never picks {@link #NONE} or {@link #REMOTE} (a remote backend costs money
 * and needs configuration: name it).
 */
public enum IsolationLevel {
    /** Plain host processes. */
    NONE,
    /** chroot, dropped privileges, rlimits: same kernel, same namespaces. */
    PROCESS,
    /** Linux namespaces (user, pid, mount, net, ipc, uts), seccomp, cgroups. */
    NAMESPACE,
    /** A container engine's container: namespaces, cgroups, seccomp, managed by an engine. */
    CONTAINER,
    /** A kernel in user space (gVisor): the host kernel sees only the sandbox kernel's calls. */
    USER_KERNEL,
    /** A guest kernel per sandbox behind a hypervisor. */
    VIRTUAL_MACHINE,
    /** Another machine (a Kubernetes pod, a cloud instance). */
    REMOTE;

    /** True for the levels {@code auto} may choose. */
    public boolean autoSelectable() {
        return this != NONE && this != REMOTE;
    }
}
