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
    void doctorShowsARowPerBackendAndTheAutoChoiceInAtMost100Columns() {
        Cli.Outcome r = Cli.run("doctor");
        List<String> lines = r.out().lines().toList();
        assertThat(lines).allSatisfy(l -> assertThat(l.length()).as("at most 100 columns: %s", l).isLessThanOrEqualTo(100));
        assertThat(lines.get(0)).matches("BACKEND +ISOLATION +AVAILABLE +REASON AND FIX");
        assertThat(lines).anySatisfy(l -> assertThat(l).matches("none +NONE +yes +.*"));
        int blank = lines.indexOf("");
        List<String> rows = lines.subList(1, blank).stream().filter(l -> !l.startsWith(" ")).toList();
        assertThat(rows).as("one row per backend (its text wrapped onto indented lines), then a blank line")
                .extracting(l -> l.split(" +")[0])
                .containsExactlyElementsOf(Sandbox.backends().stream().map(BackendInfo::name).toList());
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
    void doctorJsonKeepsEveryReasonAndFixInFullThatTheTableWraps() throws Exception {
        Cli.Outcome text = Cli.run("doctor");
        Cli.Outcome json = Cli.run("doctor", "--json");
        String table = text.out().replace(" ", "").replace("\n", "");
        for (JsonNode b : JSON.readTree(json.out()).get("backends")) {
            String reason = b.get("reason").asText();
            assertThat(table).as("the table carries all of %s's reason", b.get("name").asText())
                    .contains(reason.replace("\n", " ").replace(" ", ""));
            if (!b.get("fix").asText().isEmpty()) {
                assertThat(table).contains(("fix: " + b.get("fix").asText()).replace("\n", " ").replace(" ", ""));
            }
            assertThat(b.get("emulated").isBoolean()).isTrue();
            if (b.get("emulated").asBoolean()) {
                assertThat(b.get("available").asBoolean()).isTrue();
                assertThat(b.get("passedOverByAuto").asText()).startsWith("passed over by auto: runs under software emulation")
                        .contains("--backend " + b.get("name").asText()).contains("auto.allowEmulated=true");
            } else {
                assertThat(b.get("passedOverByAuto").isNull()).isTrue();
            }
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
