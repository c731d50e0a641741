package dev.sandbox4j.linux.internal.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * This JVM's ids on the host, read once from /proc/self. (A sandbox's host ids are the core's:
 * {@code SandboxHost.ids()}.) Thread-safe.
 */
public final class HostIds {
    private static final int UID = read("unix:uid");
    private static final int GID = read("unix:gid");

    private HostIds() {
    }

    public static int uid() {
        return UID;
    }

    public static int gid() {
        return GID;
    }

    public static boolean root() {
        return UID == 0;
    }

    private static int read(String attribute) {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), attribute);
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            throw new IllegalStateException("cannot read this JVM's " + attribute + " from /proc/self: " + e, e);
        }
    }
}
