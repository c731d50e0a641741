package dev.sandbox4j.container;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandbox4j.BackendInfo;
import dev.sandbox4j.Command;
import dev.sandbox4j.ExecResult;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.SandboxImage;
import dev.sandbox4j.container.internal.runsc.Runsc;
import dev.sandbox4j.container.internal.runsc.StatxCheck;
import dev.sandbox4j.testkit.BackendRequirement;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The probes of gvisor and gvisor-runsc warn about a runsc that fails the host image's GNU tools exactly
 * when a real sandbox on {@link SandboxImage#host()} shows it: GNU {@code ls -d /} fails there with
 * "Invalid argument" (statx answered EINVAL) if and only if the probe's reason carries the warning and its
 * fix the way out, while the backend stays available.
 */
class GvisorStatxWarningTest {

    @Test
    @DisplayName("gvisor-runsc: the probe warns (reason and fix) if and only if GNU ls -d / fails with Invalid argument in a sandbox on the host image")
    void runscProbeAgreesWithARealSandbox() {
        BackendInfo info = BackendRequirement.assumeAvailable("gvisor-runsc");
        assertAgrees(info, lsInHostImage("gvisor-runsc"));
    }

    @Test
    @DisplayName("gvisor: the probe warns (reason and fix) if and only if GNU ls -d / fails with Invalid argument in a sandbox on the host image")
    void gvisorProbeAgreesWithARealSandbox() {
        BackendInfo info = BackendRequirement.assumeAvailable("gvisor");
        assertAgrees(info, lsInHostImage("gvisor"));
    }

    private static ExecResult lsInHostImage(String backend) {
        BackendInfo info = Sandbox.backends().stream().filter(b -> b.name().equals(backend)).findFirst().orElseThrow();
        try (Sandbox s = Sandbox.builder().backend(backend).policy(info.strongestPolicy()).image(SandboxImage.host()).build()) {
            return s.exec(Command.of("/usr/bin/ls", "-d", "/"));
        }
    }

    private static void assertAgrees(BackendInfo info, ExecResult ls) {
        boolean broken = ls.exitCode() != 0 && ls.stderr().contains("Invalid argument");
        assertThat(broken || ls.succeeded()).as("GNU ls -d / in %s on the host image either runs or fails with EINVAL: %s,"
                + " stderr: %s", info.name(), ls, ls.stderr()).isTrue();
        StatxCheck.Finding finding = StatxCheck.of(Runsc.find(Runsc.DEFAULT).orElseThrow());
        assertThat(finding.broken()).as("the check (%s) against the sandbox's ls (%s, stderr: %s)", finding, ls,
                ls.stderr()).isEqualTo(broken);
        assertThat(info.availability().available()).as("a warning never makes %s unavailable", info.name()).isTrue();
        if (broken) {
            assertThat(info.availability().reason()).as("%s's probe reason", info.name()).contains("WARNING", "statx",
                    "Invalid argument");
            assertThat(info.availability().fix()).as("%s's fix", info.name()).isEqualTo(StatxCheck.FIX);
        } else {
            assertThat(info.availability().reason()).doesNotContain("WARNING");
        }
    }
}
