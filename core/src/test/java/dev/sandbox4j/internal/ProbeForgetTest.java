package dev.sandbox4j.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandbox4j.BackendUnavailableException;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.SandboxImage;
import dev.sandbox4j.SandboxStartException;
import dev.sandbox4j.internal.select.BackendRegistry;
import dev.sandbox4j.spi.Availability;
import dev.sandbox4j.spi.BackendSession;
import dev.sandbox4j.spi.Capability;
import dev.sandbox4j.spi.IsolationLevel;
import dev.sandbox4j.spi.SandboxBackend;
import dev.sandbox4j.spi.SandboxSpec;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A build whose backend turns out unavailable at open() forgets that backend's kept probe, so that the next
 * build probes it afresh; other start failures keep it. The registry's own options never reach the backend.
 */
class ProbeForgetTest {

    /** Probes as available and counts probes; open() throws what it is told and records the options it got. */
    private static final class Flaky implements SandboxBackend {
        final AtomicInteger probes = new AtomicInteger();
        final AtomicReference<RuntimeException> failure = new AtomicReference<>();
        final AtomicReference<Map<String, String>> options = new AtomicReference<>();

        @Override
        public String name() {
            return "flaky";
        }

        @Override
        public IsolationLevel isolation() {
            return IsolationLevel.NONE;
        }

        @Override
        public Availability probe() {
            probes.incrementAndGet();
            return Availability.available("flaky");
        }

        @Override
        public Set<Capability> capabilities() {
            return Set.of(Capability.NETWORK_HOST, Capability.IMAGE_HOST);
        }

        @Override
        public Duration typicalStartup() {
            return Duration.ZERO;
        }

        @Override
        public BackendSession open(SandboxSpec spec) {
            options.set(spec.options());
            throw failure.get();
        }
    }

    private static void build(BackendRegistry r, Map<String, String> options) {
        SandboxFactory.open(r, Optional.of("flaky"), IsolationPolicy.permissive(), SandboxImage.host(), List.of(),
                Optional.empty(), options);
    }

    @Test
    void anUnavailableAtOpenForgetsTheProbeAndAnyOtherFailureKeepsIt() {
        Flaky flaky = new Flaky();
        // an hour: so long that only forgetting can make the registry probe again, however slow this machine
        BackendRegistry r = new BackendRegistry(List.of(flaky), Duration.ofHours(1));

        flaky.failure.set(new SandboxStartException("flaky: the command could not be started"));
        assertThatThrownBy(() -> build(r, Map.of("auto.allowEmulated", "true", "flaky.x", "1")))
                .isInstanceOf(SandboxStartException.class);
        assertThat(flaky.options.get()).isEqualTo(Map.of("flaky.x", "1"));
        assertThatThrownBy(() -> build(r, Map.of())).isInstanceOf(SandboxStartException.class);
        assertThat(flaky.probes.get()).as("a start failure keeps the probe").isEqualTo(1);

        flaky.failure.set(new BackendUnavailableException("flaky: its daemon went away"));
        assertThatThrownBy(() -> build(r, Map.of())).isInstanceOf(BackendUnavailableException.class);
        assertThatThrownBy(() -> build(r, Map.of())).isInstanceOf(BackendUnavailableException.class);
        assertThat(flaky.probes.get()).as("each build after an unavailable one probes again").isEqualTo(2);
    }
}
