package dev.sandbox4j.container;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandbox4j.Command;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.spi.SessionLabels;
import dev.sandbox4j.testkit.BackendRequirement;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Podman keeps an exec's conmon alive for --exit-delay 300 s; close() must end it, not leave it running. */
class PodmanLeftoversTest {

    @BeforeAll
    static void engine() {
        BackendRequirement.assumeAvailable("podman");
    }

    @Test
    @DisplayName("after close() no conmon of the sandbox's container remains (podman starts them with a 300 s exit delay)")
    void noExecMonitorSurvivesClose() throws Exception {
        Sandbox s = Sandbox.builder().backend("podman").build();
        String name = SessionLabels.hostName("ctr", s.id()).replaceAll("[^a-zA-Z0-9_.-]", "_");
        for (int i = 0; i < 3; i++) {
            assertThat(s.exec(Command.of("true")).exitCode()).isZero();
        }
        s.close();
        List<Long> left = conmonsOf(name);
        for (int i = 0; i < 50 && !left.isEmpty(); i++) {
            Thread.sleep(100);
            left = conmonsOf(name);
        }
        assertThat(left).as("conmon processes of container %s still alive 5 s after close()", name).isEmpty();
    }

    private static List<Long> conmonsOf(String name) throws IOException {
        List<Long> out = new ArrayList<>();
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString().matches("\\d+"))) {
            for (Path p : procs) {
                String cmd;
                try {
                    cmd = new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8);
                } catch (IOException gone) {
                    continue;
                }
                List<String> argv = List.of(cmd.split("\0"));
                int n = argv.indexOf("-n");
                boolean zombieOrGone = !ProcessHandle.of(Long.parseLong(p.getFileName().toString())).map(ProcessHandle::isAlive).orElse(false);
                if (!zombieOrGone && argv.get(0).endsWith("/conmon") && n > 0 && n + 1 < argv.size() && argv.get(n + 1).equals(name)) {
                    out.add(Long.parseLong(p.getFileName().toString()));
                }
            }
        }
        return out;
    }
}
