package dev.sandbox4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sandbox4j.BackendInfo;
import dev.sandbox4j.Command;
import dev.sandbox4j.ExecResult;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.SandboxImage;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * {@code doctor} says when this host's gVisor cannot run the host image's GNU tools (runsc answering EINVAL
 * to statx): the gvisor-runsc row of the table and of {@code --json} carries the warning and the way out
 * exactly when GNU {@code ls -d /} fails with "Invalid argument" in a real sandbox on the host image, and the
 * backend stays available.
 */
class DoctorGvisorWarningTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    @DisplayName("doctor warns about gvisor-runsc (reason and fix, table and --json) if and only if GNU ls fails with EINVAL in its sandbox on the host image")
    void doctorSaysWhatFailsUnderThisRunsc() throws Exception {
        BackendInfo info = Sandbox.backends().stream().filter(b -> b.name().equals("gvisor-runsc")).findFirst().orElseThrow();
        Assumptions.assumeTrue(info.availability().available(), () -> "gvisor-runsc is not available here: "
                + info.availability().reason());
        ExecResult ls;
        try (Sandbox s = Sandbox.builder().backend("gvisor-runsc").policy(info.strongestPolicy()).image(SandboxImage.host())
                .build()) {
            ls = s.exec(Command.of("/usr/bin/ls", "-d", "/"));
        }
        boolean broken = ls.exitCode() != 0 && ls.stderr().contains("Invalid argument");

        Cli.Outcome json = Cli.run("doctor", "--json");
        JsonNode row = null;
        for (JsonNode b : JSON.readTree(json.out()).get("backends")) {
            if (b.get("name").asText().equals("gvisor-runsc")) {
                row = b;
            }
        }
        assertThat(row).isNotNull();
        assertThat(row.get("available").asBoolean()).as("a warning, not unavailability: %s", row).isTrue();
        String table = row(Cli.run("doctor").out(), "gvisor-runsc");
        if (broken) {
            assertThat(row.get("reason").asText()).as("--json reason (ls in the sandbox: %s)", ls.stderr().strip())
                    .startsWith("WARNING: ").contains("statx", "Invalid argument");
            assertThat(row.get("fix").asText()).contains("newer runsc", "busybox");
            assertThat(table).as("the table's row, with its wrapped lines").contains("WARNING", "statx", "newer runsc");
        } else {
            assertThat(row.get("reason").asText()).doesNotContain("WARNING");
            assertThat(table).doesNotContain("WARNING");
        }
    }

    /** The backend's row of doctor's table with the lines its reason and fix wrap onto, joined by single spaces. */
    private static String row(String table, String backend) {
        StringBuilder row = new StringBuilder();
        boolean in = false;
        for (String line : table.split("\n")) {
            if (line.startsWith(backend + " ")) {
                in = true;
            } else if (in && !line.startsWith(" ")) {
                break;
            }
            if (in) {
                row.append(' ').append(line.strip());
            }
        }
        assertThat(row).as("doctor's row of %s in:%n%s", backend, table).isNotEmpty();
        return row.toString().replaceAll("\\s+", " ").strip();
    }
}
