package dev.sandbox4j.spi;

import dev.sandbox4j.DataSize;
import java.util.List;
import java.util.OptionalLong;

/**
 * The size-limited file system that bounds what a sandbox with {@code limits.disk} stores on the host: one
 * tmpfs of that size (nosuid, nodev), holding the workspace and one directory per tmpfs path of the
 * policy. A backend that claims DISK_LIMIT shows {@link #tmpfsDirs()} at the tmpfs paths instead of tmpfs
 * mounts of its own, so that all of the sandbox's writable places share the one limit. Removed when the
 * sandbox closes.
 *
 * <p>With a root JVM the tmpfs is mounted in the host's mount namespace, under a root-only directory of the
 * library. An unprivileged JVM cannot mount there: its tmpfs lives in the user and mount namespaces of a
 * process of the library's, {@link #holderPid()}, and the paths of the storage (the workspace's
 * {@link PinnedPath#path()} among them) are paths in that mount namespace. A launcher that supports it
 * joins that process's user and mount namespaces (setns) before it resolves any path of the sandbox; an
 * engine cannot reach them at all, so {@link PinnedPath#engineSource} refuses them.
 *
 * @param limit     the policy's disk limit, the size of the file system
 * @param tmpfsDirs one directory (mode 1777) per entry of {@code policy().filesystem().tmpfs()}, in order
 * @param holderPid with an unprivileged JVM, the process whose namespaces hold the tmpfs; empty with a root one
 */
public record SandboxStorage(DataSize limit, List<PinnedPath> tmpfsDirs, OptionalLong holderPid) {
    public SandboxStorage {
        tmpfsDirs = List.copyOf(tmpfsDirs);
    }
}
