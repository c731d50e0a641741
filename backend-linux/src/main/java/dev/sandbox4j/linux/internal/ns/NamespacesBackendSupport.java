package dev.sandbox4j.linux.internal.ns;

import dev.sandbox4j.spi.Availability;
import dev.sandbox4j.spi.BackendSession;
import dev.sandbox4j.spi.SandboxSpec;
import java.util.List;

/** The entry points the public {@code NamespacesBackend} provider calls; nothing else of this package is public. */
public final class NamespacesBackendSupport {
    private NamespacesBackendSupport() {
    }

    public static Availability probe() {
        return NamespacesProbe.probe();
    }

    public static BackendSession open(SandboxSpec spec) {
        return NamespacesSession.open(spec);
    }

    /** Never throws. */
    public static List<String> reap() {
        try {
            return NamespacesSession.reap();
        } catch (RuntimeException e) {
            return List.of();
        }
    }
}
