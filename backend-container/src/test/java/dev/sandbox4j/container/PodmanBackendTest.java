package dev.sandbox4j.container;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.sandbox4j.Command;
import dev.sandbox4j.ExecException;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.container.internal.engine.Endpoints;
import dev.sandbox4j.container.internal.engine.PodmanService;
import dev.sandbox4j.spi.SessionLabels;
import dev.sandbox4j.testkit.BackendRequirement;
import java.time.Duration;
import java.util.OptionalLong;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The podman backend's private API service: started on demand, stopped with the last sandbox, and its death under an open sandbox. */
class PodmanBackendTest {

    @BeforeAll
    static void engine() {
        BackendRequirement.assumeAvailable("podman");
        Assumptions.assumeTrue(Endpoints.podmanSockets().isEmpty() && System.getenv("CONTAINER_HOST") == null,
                "a Podman API socket already runs here, so the backend uses it and starts no service of its own");
    }

    @Test
    @DisplayName("no Podman socket runs: the first sandbox starts a private podman system service, the last close() stops it")
    void privateServiceLifecycle() {
        assertThat(PodmanService.pid()).as("no service before the first sandbox").isEmpty();
        long pid;
        Sandbox a = Sandbox.builder().backend("podman").build();
        try (Sandbox b = Sandbox.builder().backend("podman").build()) {
            OptionalLong p = PodmanService.pid();
            assertThat(p).isPresent();
            pid = p.getAsLong();
            assertThat(ProcessHandle.of(pid).map(h -> h.info().commandLine().orElse("")).orElse(""))
                    .contains("system").contains("service");
            // what the service starts (conmon) inherits its working directory, and wrote files there: not the JVM's
            java.nio.file.Path cwd;
            try {
                cwd = java.nio.file.Files.readSymbolicLink(java.nio.file.Path.of("/proc", Long.toString(pid), "cwd"));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            assertThat(cwd).as("the service's working directory").isNotEqualTo(java.nio.file.Path.of("").toAbsolutePath())
                    .satisfies(d -> assertThat(d.getFileName().toString()).startsWith("sandbox4j-podman-"));
            a.close();
            assertThat(PodmanService.pid()).as("one sandbox still open").hasValue(pid);
            assertThat(b.exec(Command.of("echo", "b")).stdout()).isEqualTo("b\n");
        } finally {
            a.close();
        }
        assertThat(PodmanService.pid()).as("after the last close()").isEmpty();
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).as("the service process").isFalse();
    }

    @Test
    @DisplayName("the engine killed under an open sandbox: the next exec fails at once with an ExecException naming the engine and the fix, close() does not hang")
    void engineKilledUnderOpenSandbox() throws Exception {
        String session = SessionLabels.current();
        Sandbox s = Sandbox.builder().backend("podman").build();
        try {
            assertThat(s.exec(Command.of("echo", "up")).stdout()).isEqualTo("up\n");
            long pid = PodmanService.pid().orElseThrow();
            ProcessHandle.of(pid).orElseThrow().destroyForcibly();
            ProcessHandle.of(pid).ifPresent(h -> h.onExit().join());
            assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
                // the exec agent notices the engine's end when its connection through the engine closes,
                // a few milliseconds after the kill: from then on every exec fails
                ExecException failure = null;
                long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
                while (failure == null && System.nanoTime() < deadline) {
                    try {
                        s.exec(Command.of("echo", "down"));
                        Thread.sleep(50);
                    } catch (ExecException e) {
                        failure = e;
                    }
                }
                assertThat(failure).as("an exec after the engine died").isNotNull();
                assertThat(failure).hasMessageContaining("Podman engine at unix://")
                        .hasMessageContaining("not reachable any more").hasMessageContaining("fix:");
                assertThatThrownBy(() -> s.exec(Command.of("echo", "again"))).isInstanceOf(ExecException.class);
                s.close();
            });
        } finally {
            s.close();
            // the container outlives its engine (conmon keeps it): remove it here, as a new service would
            Engines.podmanRemoveAllOf(session);
        }
        assertThat(Engines.podmanContainersOf(session)).isEmpty();
        assertThat(PodmanService.pid()).isEmpty();
    }
}
