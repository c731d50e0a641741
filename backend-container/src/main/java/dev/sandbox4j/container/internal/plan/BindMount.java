package dev.sandbox4j.container.internal.plan;

/**
 * A host path shown inside the container.
 *
 * @param hostPath      absolute host path
 * @param containerPath absolute path inside
 * @param readOnly      true: writes fail with EROFS
 */
public record BindMount(String hostPath, String containerPath, boolean readOnly) {
}
