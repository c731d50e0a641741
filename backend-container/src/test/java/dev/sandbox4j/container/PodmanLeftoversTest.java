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
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Podman keeps an exec's conmon alive for --exit-delay 300 s; close() must end it (and the container's own),
 * not leave it running: checked the moment close() returns, by name and by container id.
 */
class PodmanLeftoversTest {

    @BeforeAll
    static void engine() {
        BackendRequirement.assumeAvailable("podman");
    }

    @Test
    @DisplayName("when close() returns no conmon of the sandbox's container is alive (podman starts exec monitors with a"
            + " 300 s exit delay, naming the container by -n name and -c id)")
    void noExecMonitorSurvivesClose() throws Exception {
        Sandbox s = Sandbox.builder().backend("podman").build();
        String name = SessionLabels.hostName("ctr", s.id()).replaceAll("[^a-zA-Z0-9_.-]", "_");
        for (int i = 0; i < 3; i++) {
            assertThat(s.exec(Command.of("true")).exitCode()).isZero();
        }
        Set<String> ids = new HashSet<>();
        for (List<String> argv : conmons()) {
            if (name.equals(after(argv, "-n"))) {
                ids.add(after(argv, "-c"));
            }
        }
        assertThat(ids).as("the container's conmon, seen while it runs").isNotEmpty();
        s.close();
        assertThat(conmonsOf(name, ids, true)).as("exec monitors of container %s alive when close() returned", name).isEmpty();
        // the container's own conmon is the engine's: it ends once the engine removed the container
        List<String> left = conmonsOf(name, ids, false);
        for (int i = 0; i < 30 && !left.isEmpty(); i++) {
            Thread.sleep(100);
            left = conmonsOf(name, ids, false);
        }
        assertThat(left).as("conmon processes of container %s alive 3 s after close()", name).isEmpty();
    }

    private static List<String> conmonsOf(String name, Set<String> ids, boolean execOnly) throws IOException {
        List<String> out = new ArrayList<>();
        for (List<String> argv : conmons()) {
            if ((name.equals(after(argv, "-n")) || ids.contains(after(argv, "-c"))) && (!execOnly || argv.contains("--exec"))) {
                out.add(String.join(" ", argv));
            }
        }
        return out;
    }

    private static String after(List<String> argv, String option) {
        int i = argv.indexOf(option);
        return i > 0 && i + 1 < argv.size() ? argv.get(i + 1) : null;
    }

    /** The argv of every live (not zombie) conmon. */
    private static List<List<String>> conmons() throws IOException {
        List<List<String>> out = new ArrayList<>();
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString().matches("\\d+"))) {
            for (Path p : procs) {
                String cmd;
                String stat;
                try {
                    cmd = new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8);
                    stat = Files.readString(p.resolve("stat"));
                } catch (IOException gone) {
                    continue;
                }
                char state = stat.charAt(stat.lastIndexOf(')') + 2);
                List<String> argv = List.of(cmd.split("\0"));
                if (state != 'Z' && state != 'X' && !cmd.isEmpty() && argv.get(0).endsWith("/conmon")) {
                    out.add(argv);
                }
            }
        }
        return out;
    }
}
