package dev.sandbox4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sandbox4j.BackendInfo;
import dev.sandbox4j.Sandbox;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** backends, doctor, reap and the version: the commands that open no sandbox. */
class InfoCommandsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void backendsListsEveryNameOnePerLine() {
        Cli.Outcome r = Cli.run("backends");
        assertThat(r.status()).isZero();
        List<String> expected = Sandbox.backends().stream().map(BackendInfo::name).toList();
        assertThat(r.out().lines().toList()).containsExactlyElementsOf(expected).contains("none");
        assertThat(r.err()).isEmpty();
    }

    @Test
    void doctorShowsARowPerBackendAndTheAutoChoice() {
        Cli.Outcome r = Cli.run("doctor");
        List<String> lines = r.out().lines().toList();
        assertThat(lines.get(0)).matches("BACKEND +ISOLATION +AVAILABLE +REASON +FIX");
        assertThat(lines).anySatisfy(l -> assertThat(l).matches("none +NONE +yes +.*"));
        int blank = lines.indexOf("");
        assertThat(blank).as("one header and one row per backend, then a blank line").isEqualTo(Sandbox.backends().size() + 1);
        String auto = lines.get(blank + 1);
        if (r.status() == 0) {
            assertThat(lines).hasSize(blank + 2);
            assertThat(auto).matches("auto would choose: [a-z0-9-]+ \\(strict policy\\)");
        } else {
            assertThat(r.status()).isEqualTo(1);
            // none is never chosen by auto, so with no other backend it must say why
            assertThat(r.out()).contains("auto would choose: none fits — ").contains("none (NONE)")
                    .doesNotContain("Run 'sandbox4j doctor'");
        }
    }

    @Test
    void doctorJsonParsesAndAgreesWithTheTable() throws Exception {
        Cli.Outcome r = Cli.run("doctor", "--json");
        JsonNode doc = JSON.readTree(r.out());
        List<String> names = new ArrayList<>();
        doc.get("backends").forEach(b -> names.add(b.get("name").asText()));
        assertThat(names).containsExactlyElementsOf(Sandbox.backends().stream().map(BackendInfo::name).toList());
        JsonNode none = null;
        for (JsonNode b : doc.get("backends")) {
            if (b.get("name").asText().equals("none")) {
                none = b;
            }
        }
        assertThat(none).isNotNull();
        assertThat(none.get("isolation").asText()).isEqualTo("NONE");
        assertThat(none.get("available").asBoolean()).isTrue();
        assertThat(none.get("reason").isTextual()).isTrue();
        assertThat(none.get("fix").isTextual()).isTrue();
        assertThat(none.get("capabilities").isArray()).isTrue();
        JsonNode auto = doc.get("auto");
        assertThat(auto.get("policy").asText()).isEqualTo("strict");
        if (r.status() == 0) {
            assertThat(auto.get("backend").isTextual()).isTrue();
            assertThat(auto.get("reason").isNull()).isTrue();
        } else {
            assertThat(auto.get("backend").isNull()).isTrue();
            assertThat(auto.get("reason").asText()).contains("none (NONE)");
        }
    }

    @Test
    void reapPrintsWhatItRemovedOrSaysThereWasNothing() {
        Cli.Outcome r = Cli.run("reap");
        assertThat(r.status()).isZero();
        assertThat(r.out()).isNotBlank();
        assertThat(r.out().lines()).allSatisfy(l -> assertThat(l).isNotBlank());
    }

    @Test
    void versionNamesTheProjectVersion() {
        Cli.Outcome r = Cli.run("--version");
        assertThat(r.status()).isZero();
        assertThat(r.out().lines().findFirst().orElseThrow()).matches("sandbox4j \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?");
    }

    @Test
    void anUnknownCommandIsAUsageErrorWithASuggestion() {
        Cli.Outcome r = Cli.run("doctr");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains("'doctr'").contains("doctor");
    }
}
