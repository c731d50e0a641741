package dev.sandbox4j.container.internal.plan;

/**
 * A host path shown inside the container.
 *
 * @param hostPath       absolute host path
 * @param containerPath  absolute path inside
 * @param readOnly       true: writes fail with EROFS
 * @param readOnlySource true: {@code hostPath} is itself a read-only, nosuid, nodev mount (a root JVM's staged
 *                       engine source), which the engine binds as it is, without a read-only remount of its
 *                       own: runc remounts a read-only bind with only the flags it was given, which drops the
 *                       source's nosuid and nodev
 */
public record BindMount(String hostPath, String containerPath, boolean readOnly, boolean readOnlySource) {
    /** A bind whose source is not known to be read-only itself. */
    public BindMount(String hostPath, String containerPath, boolean readOnly) {
        this(hostPath, containerPath, readOnly, false);
    }

    /** Whether the engine is to mount it read-only itself (see {@link #readOnlySource}). */
    public boolean engineReadOnly() {
        return readOnly && !readOnlySource;
    }
}
