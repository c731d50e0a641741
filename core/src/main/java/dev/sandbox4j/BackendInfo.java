package dev.sandbox4j;

import dev.sandbox4j.spi.Availability;
import dev.sandbox4j.spi.Capability;
import dev.sandbox4j.spi.IsolationLevel;
import java.util.Set;

/**
 * What a backend found on the class path says of itself: for {@code doctor} tables and for choosing.
 *
 * @param name         the backend's name ({@code bubblewrap}, {@code docker}, ...)
 * @param isolation    how strongly it isolates
 * @param availability whether it can run here now, and if not why and how to fix it
 * @param capabilities what it can enforce
 */
public record BackendInfo(String name, IsolationLevel isolation, Availability availability, Set<Capability> capabilities) {
    public BackendInfo {
        capabilities = Set.copyOf(capabilities);
    }

    /**
     * The strongest policy this backend can enforce: {@link IsolationPolicy#strict()} with exactly the
     * parts relaxed that its capabilities lack (no file-system view: the host's; no network none: its
     * loopback, else the host's; a missing limit: removed; no syscall filter: none; a process field it
     * cannot enforce: relaxed). {@code build()} accepts it for this backend.
     */
    public IsolationPolicy strongestPolicy() {
        return IsolationPolicy.strongestFor(capabilities);
    }
}
