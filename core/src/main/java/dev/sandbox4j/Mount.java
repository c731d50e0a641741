package dev.sandbox4j;

import dev.sandbox4j.internal.Validate;
import java.nio.file.Path;

/**
 * A host directory or file made visible inside the sandbox.
 *
 * @param hostPath    absolute host path; must exist when the sandbox is built
 * @param sandboxPath absolute, normalised path inside the sandbox
 * @param writable    false: read-only (writes fail with EROFS); true: read-write
 */
public record Mount(Path hostPath, String sandboxPath, boolean writable) {
    public Mount {
        hostPath = Validate.hostPath("mount host path", hostPath);
        sandboxPath = Validate.sandboxPath("mount sandbox path", sandboxPath);
    }

    public static Mount readOnly(Path hostPath, String sandboxPath) {
        return new Mount(hostPath, sandboxPath, false);
    }

    public static Mount readWrite(Path hostPath, String sandboxPath) {
        return new Mount(hostPath, sandboxPath, true);
    }
}
