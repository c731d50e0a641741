package dev.sandbox4j.container;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandbox4j.container.internal.engine.EngineClient;
import dev.sandbox4j.container.internal.engine.Endpoint;
import dev.sandbox4j.spi.SessionLabels;
import dev.sandbox4j.testkit.BackendRequirement;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The Docker engine killed under an open sandbox: a private dockerd of this test (never the host's), a
 * sandbox on it in a child JVM (so that the reaper may treat what is left as a dead JVM's), then SIGKILL
 * to that dockerd while a command runs.
 */
class EngineLossTest {

    @BeforeAll
    static void engine() {
        BackendRequirement.assumeAvailable("docker");
        var why = PrivateDockerd.unavailableReason();
        if (BackendRequirement.required("docker") && why.isPresent()) {
            throw new IllegalStateException("SANDBOX4J_REQUIRE names docker but this test cannot start a private dockerd: " + why.get());
        }
        Assumptions.assumeTrue(why.isEmpty(), () -> why.orElse(""));
    }

    @Test
    @DisplayName("dockerd killed under an open sandbox: the running and the next command fail at once naming the engine"
            + " and the fix, close() returns, and the reaper removes the container once the engine is back")
    void engineKilledUnderOpenSandbox() throws Exception {
        try (PrivateDockerd engine = PrivateDockerd.create()) {
            engine.start();
            Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                    System.getProperty("java.class.path"), ChildJvm.class.getName(), "engine-lost", "docker", engine.uri())
                    .redirectErrorStream(true).start();
            List<String> lines = new ArrayList<>();
            try {
                BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
                String session = null;
                for (String l; (l = out.readLine()) != null; ) {
                    lines.add(l);
                    if (l.startsWith("READY ")) {
                        session = l.substring(6).strip();
                        break;
                    }
                }
                assertThat(session).as("child output: %s\nengine log: %s", lines, engine.log()).isNotNull();
                assertThat(containersOf(engine, session)).as("the sandbox's container on the private engine").hasSize(1);

                engine.kill();
                OutputStream go = child.getOutputStream();
                go.write("go\n".getBytes(StandardCharsets.US_ASCII));
                go.flush();
                for (String l; (l = out.readLine()) != null; ) {
                    lines.add(l);
                }
                assertThat(child.waitFor(3, TimeUnit.MINUTES)).as("child JVM ended").isTrue();

                String running = line(lines, "RUNNING-EXEC");
                assertThat(running).as("the command that ran while the engine died").contains("ExecException")
                        .contains("Docker engine at " + engine.uri()).contains("not reachable any more")
                        .contains("fix: start the engine again");
                String next = line(lines, "NEW-EXEC");
                assertThat(next).as("a command started after the engine died").contains("ExecException")
                        .contains("Docker engine at " + engine.uri()).contains("fix: start the engine again");
                assertThat(lines).as("close() returned").contains("CLOSED");

                // the engine back: what the dead JVM could not remove is the reaper's
                engine.start();
                String reaped = ChildJvm.run(List.of("env", "DOCKER_HOST=" + engine.uri()), null, "reap", "docker");
                assertThat(reaped).as("reap() on the restarted engine").contains("REAPED Docker container").contains(session);
                assertThat(containersOf(engine, session)).as("after the reaper").isEmpty();
            } finally {
                child.destroyForcibly();
                child.waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    private static String line(List<String> lines, String prefix) {
        return lines.stream().filter(l -> l.startsWith(prefix)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + prefix + " line in the child's output: " + lines));
    }

    private static List<String> containersOf(PrivateDockerd engine, String session) {
        EngineClient c = EngineClient.of(Endpoint.unix(engine.socket(), "private test dockerd"), "Docker");
        return c.api().listContainersCmd().withShowAll(true).withLabelFilter(Map.of(SessionLabels.SESSION_KEY, session))
                .exec().stream().map(x -> x.getId()).toList();
    }
}
