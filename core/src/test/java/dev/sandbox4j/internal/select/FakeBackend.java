package dev.sandbox4j.internal.select;

import dev.sandbox4j.SandboxStartException;
import dev.sandbox4j.spi.Availability;
import dev.sandbox4j.spi.BackendSession;
import dev.sandbox4j.spi.Capability;
import dev.sandbox4j.spi.IsolationLevel;
import dev.sandbox4j.spi.SandboxBackend;
import dev.sandbox4j.spi.SandboxSpec;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * A backend for selection tests: it declares what it is told and probes as it is told. Selection never
 * opens a backend, so {@link #open} refuses; {@link #probes()} counts probe calls.
 */
final class FakeBackend implements SandboxBackend {
    private final String name;
    private final IsolationLevel isolation;
    private final Duration startup;
    private final Set<Capability> capabilities;
    private final Supplier<Availability> probe;
    private final AtomicInteger probes = new AtomicInteger();

    FakeBackend(String name, IsolationLevel isolation, Duration startup, Set<Capability> capabilities,
                Supplier<Availability> probe) {
        this.name = name;
        this.isolation = isolation;
        this.startup = startup;
        this.capabilities = Set.copyOf(capabilities);
        this.probe = probe;
    }

    /** Available, declares every capability, starts in 100ms. */
    static FakeBackend full(String name, IsolationLevel isolation) {
        return new FakeBackend(name, isolation, Duration.ofMillis(100), EnumSet.allOf(Capability.class),
                () -> Availability.available(name + " ready"));
    }

    static FakeBackend without(String name, IsolationLevel isolation, Capability... lacking) {
        Set<Capability> caps = EnumSet.allOf(Capability.class);
        caps.removeAll(Set.of(lacking));
        return new FakeBackend(name, isolation, Duration.ofMillis(100), caps, () -> Availability.available(name + " ready"));
    }

    FakeBackend probing(Supplier<Availability> p) {
        return new FakeBackend(name, isolation, startup, capabilities, p);
    }

    FakeBackend unavailable(String reason, String fix) {
        return probing(() -> Availability.unavailable(reason, fix));
    }

    FakeBackend startingIn(Duration d) {
        return new FakeBackend(name, isolation, d, capabilities, probe);
    }

    int probes() {
        return probes.get();
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public IsolationLevel isolation() {
        return isolation;
    }

    @Override
    public Availability probe() {
        probes.incrementAndGet();
        return probe.get();
    }

    @Override
    public Set<Capability> capabilities() {
        return capabilities;
    }

    @Override
    public Duration typicalStartup() {
        return startup;
    }

    @Override
    public BackendSession open(SandboxSpec spec) {
        throw new SandboxStartException("FakeBackend '" + name + "' is for selection tests and opens nothing");
    }
}
