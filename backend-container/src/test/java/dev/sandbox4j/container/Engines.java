package dev.sandbox4j.container;

import dev.sandbox4j.container.internal.engine.EngineClient;
import dev.sandbox4j.container.internal.engine.Endpoints;
import dev.sandbox4j.spi.SessionLabels;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** What the tests ask the engines directly: the containers a session left. */
final class Engines {
    private Engines() {
    }

    static EngineClient docker() {
        return EngineClient.of(Endpoints.docker(Map.of(), "docker.host"), "Docker");
    }

    /** Names of the Docker containers (running or not) labelled with {@code session}. */
    static List<String> dockerContainersOf(String session) {
        return docker().api().listContainersCmd().withShowAll(true)
                .withLabelFilter(Map.of(SessionLabels.SESSION_KEY, session)).exec().stream()
                .map(c -> c.getNames() == null ? c.getId() : String.join(",", c.getNames())).toList();
    }

    /** Names of the Podman containers labelled with {@code session}, through the CLI (no API service needed). */
    static List<String> podmanContainersOf(String session) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("podman", "ps", "-a", "--filter", "label=" + SessionLabels.SESSION_KEY + "=" + session,
                "--format", "{{.Names}}").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException("podman ps failed: " + out);
        }
        return Arrays.stream(out.split("\n")).filter(s -> !s.isBlank()).toList();
    }

    /** Removes by force the Podman containers labelled with {@code session} (after a test killed the service). */
    static void podmanRemoveAllOf(String session) throws IOException, InterruptedException {
        for (String name : podmanContainersOf(session)) {
            new ProcessBuilder("podman", "rm", "-f", name).redirectErrorStream(true).start().waitFor();
        }
    }
}
