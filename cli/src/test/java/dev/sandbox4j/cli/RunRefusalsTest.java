package dev.sandbox4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@code run} refuses, with which status and message; in every case nothing runs. */
class RunRefusalsTest {

    @Test
    void anUnknownBackendIs125AndNamed(@TempDir Path dir) {
        Path marker = dir.resolve("ran");
        Cli.Outcome r = Cli.run("run", "--backend", "no-such-backend", "--preset", "permissive", "--",
                "touch", marker.toString());
        assertThat(r.status()).isEqualTo(125);
        assertThat(r.err()).startsWith("sandbox4j: ").contains("no-such-backend").contains("none");
        assertThat(r.out()).isEmpty();
        assertThat(marker).doesNotExist();
    }

    @Test
    void aStrictPolicyOnNoneIs125AndNamesWhatItCannotEnforce(@TempDir Path dir) {
        Path marker = dir.resolve("ran");
        Cli.Outcome r = Cli.run("run", "--backend", "none", "--preset", "strict", "--", "touch", marker.toString());
        assertThat(r.status()).isEqualTo(125);
        assertThat(r.err()).contains("'none'").contains("network=none").contains("limits.memory=512m")
                .contains("process.isolatePids").contains("filesystem");
        assertThat(marker).doesNotExist();
    }

    @Test
    void theDefaultPolicyIsStrict(@TempDir Path dir) {
        Path marker = dir.resolve("ran");
        Cli.Outcome r = Cli.run("run", "--backend", "none", "--", "touch", marker.toString());
        assertThat(r.status()).isEqualTo(125);
        assertThat(r.err()).contains("network=none");
        assertThat(marker).doesNotExist();
    }

    @Test
    void aFlagOnTopOfThePresetIsEnforcedOrRefused(@TempDir Path dir) {
        Path marker = dir.resolve("ran");
        Cli.Outcome r = Cli.run("run", "--backend", "none", "--preset", "permissive", "--memory", "256m",
                "--network", "none", "--", "touch", marker.toString());
        assertThat(r.status()).isEqualTo(125);
        assertThat(r.err()).contains("limits.memory=256m").contains("network=none");
        assertThat(marker).doesNotExist();
    }

    @Test
    void aMountAsksForAPrivateViewWhichNoneCannotGive(@TempDir Path dir) {
        Cli.Outcome r = Cli.run("run", "--backend", "none", "--preset", "permissive", "--ro", dir.toString(),
                "--", "true");
        assertThat(r.status()).isEqualTo(125);
        assertThat(r.err()).contains("filesystem");
    }

    @Test
    void aBadSizeIsAUsageErrorNamingTheValue() {
        Cli.Outcome r = Cli.run("run", "--backend", "none", "--memory", "12parsecs", "--", "true");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains("--memory").contains("'12parsecs'").contains("Usage: sandbox4j run");
    }

    @Test
    void aBadDurationIsAUsageErrorNamingTheValue() {
        Cli.Outcome r = Cli.run("run", "--backend", "none", "--timeout", "10", "--", "true");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains("--timeout").contains("'10'").contains("500ms");
    }

    @Test
    void aValueThePolicyRefusesIsAUsageError() {
        Cli.Outcome r = Cli.run("run", "--backend", "none", "--pids", "0", "--", "true");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains("limits.pids").contains("0");
    }

    @Test
    void aRelativeWorkdirIsAUsageError() {
        Cli.Outcome r = Cli.run("run", "--backend", "none", "--preset", "permissive", "--workdir", "sub/dir", "--", "true");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains("sub/dir");
    }

    @Test
    void presetAndPolicyFileTogetherAreAUsageError(@TempDir Path dir) throws IOException {
        Path policy = Files.writeString(dir.resolve("p.json"), "{}");
        Cli.Outcome r = Cli.run("run", "--preset", "strict", "--policy", policy.toString(), "--", "true");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains("--preset").contains("--policy").contains("mutually exclusive");
    }

    @Test
    void aPolicyFileWithAnUnknownFieldIsAUsageErrorNamingFileAndField(@TempDir Path dir) throws IOException {
        Path policy = Files.writeString(dir.resolve("p.json"), "{\"netwrok\": \"none\"}");
        Cli.Outcome r = Cli.run("run", "--backend", "none", "--policy", policy.toString(), "--", "true");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains(policy.toString()).contains("netwrok");
    }

    @Test
    void aMissingPolicyFileIsAUsageErrorNamingIt(@TempDir Path dir) {
        Path policy = dir.resolve("absent.json");
        Cli.Outcome r = Cli.run("run", "--policy", policy.toString(), "--", "true");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains(policy.toString()).contains("cannot read");
    }

    @Test
    void anUnknownPresetOrNetworkIsAUsageError() {
        assertThat(Cli.run("run", "--preset", "lax", "--", "true").err()).contains("'lax'").contains("permissive");
        Cli.Outcome r = Cli.run("run", "--network", "wifi", "--", "true");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains("'wifi' is not one of none, loopback, host");
    }

    @Test
    void noCommandIsAUsageError() {
        Cli.Outcome r = Cli.run("run", "--backend", "none");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains("CMD");
    }
}
