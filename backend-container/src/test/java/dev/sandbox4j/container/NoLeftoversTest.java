package dev.sandbox4j.container;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandbox4j.container.internal.engine.PodmanService;
import dev.sandbox4j.spi.SessionLabels;
import dev.sandbox4j.testkit.BackendRequirement;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.ClassOrderer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * Runs after every other class of the module (see junit-platform.properties, {@link ClassOrderer.OrderAnnotation}):
 * no container of this JVM's session is left on either engine, and no private Podman service runs.
 */
@Order(Integer.MAX_VALUE)
class NoLeftoversTest {

    @Test
    @DisplayName("no Docker container with this JVM's session label is left")
    void noDockerLeftovers() {
        BackendRequirement.assumeAvailable("docker");
        assertThat(Engines.dockerContainersOf(SessionLabels.current())).isEmpty();
    }

    @Test
    @DisplayName("no Podman container with this JVM's session label is left, and no private service runs")
    void noPodmanLeftovers() throws Exception {
        BackendRequirement.assumeAvailable("podman");
        assertThat(Engines.podmanContainersOf(SessionLabels.current())).isEmpty();
        assertThat(PodmanService.pid()).isEmpty();
        try (var dirs = Files.newDirectoryStream(Path.of(System.getProperty("java.io.tmpdir")),
                SessionLabels.NAME_PREFIX + "podman-" + SessionLabels.current() + "*")) {
            assertThat(dirs.iterator().hasNext()).as("the private service's socket dir").isFalse();
        }
    }
}
