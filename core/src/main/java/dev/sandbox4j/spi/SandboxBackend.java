package dev.sandbox4j.spi;

import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * One isolation technology. Implementations are registered in
 * {@code META-INF/services/dev.sandbox4j.spi.SandboxBackend}, have a public no-argument constructor, are
 * thread-safe, and do nothing expensive until {@link #probe()} or {@link #open(SandboxSpec)}.
 */
public interface SandboxBackend {
    /** A short lower-case name, unique on the class path ({@code bubblewrap}). */
    String name();

    IsolationLevel isolation();

    /** Whether it can run here now. Never throws; bounded in time (a few seconds at most). */
    Availability probe();

    /** What it can enforce. Must not depend on the host: the host is {@link #probe()}'s business. */
    Set<Capability> capabilities();

    /** The usual time from open() to a ready sandbox here; {@code auto} prefers the faster among equals. */
    Duration typicalStartup();

    /**
     * Makes a sandbox. The core has already checked the spec against {@link #capabilities()} and
     * {@link #probe()}. On failure nothing may be left behind.
     *
     * @throws dev.sandbox4j.SandboxException (usually {@link dev.sandbox4j.SandboxStartException}) naming what failed
     */
    BackendSession open(SandboxSpec spec);

    /**
     * Removes what sessions of JVMs that are no longer running left behind (containers, cgroups, temp
     * dirs, VM processes), found by their {@link SessionLabels}; never touches a live session's resources.
     * Never throws; bounded in time.
     *
     * @return one line per thing removed (for example {@code "container 3f2a... (session 123-456-ab)"})
     */
    default List<String> reap() {
        return List.of();
    }
}
