package dev.sandbox4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandbox4j.BackendInfo;
import dev.sandbox4j.Command;
import dev.sandbox4j.InvalidInputException;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.SandboxImage;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * With the VM backends on the class path (this module has every backend), {@code auto} takes what runs at
 * hardware speed: a VM under TCG only when named or allowed by option {@code auto.allowEmulated=true}.
 */
@Timeout(600)
class AutoSpeedTest {
    private static final Set<String> VMS = Set.of("microvm", "qemu", "unikernel");

    @Test
    void theVmProbesSayEmulatedExactlyWhenTheyRunUnderTcg() {
        List<BackendInfo> vms = Sandbox.backends().stream().filter(b -> VMS.contains(b.name()))
                .filter(b -> b.availability().available()).toList();
        Assumptions.assumeFalse(vms.isEmpty(), "no VM backend is available here (run as root with qemu installed)");
        for (BackendInfo b : vms) {
            assertThat(b.availability().emulated()).as(b.name() + ": " + b.availability().reason())
                    .isEqualTo(b.availability().reason().contains("accelerator tcg"));
        }
    }

    @Test
    void autoPassesOverAnEmulatedMicrovmAndTakesItWhenAllowedOrNamed() {
        BackendInfo microvm = Sandbox.backends().stream().filter(b -> b.name().equals("microvm")).findFirst().orElseThrow();
        Assumptions.assumeTrue(microvm.availability().available() && microvm.availability().emulated(),
                "microvm is not available under emulation here (it needs root; with a working KVM auto may pick it): "
                        + microvm.availability());

        BackendInfo chosen = Sandbox.choose("auto", IsolationPolicy.strict(), SandboxImage.host());
        assertThat(chosen.name()).isNotIn(VMS);
        assertThat(chosen.availability().emulated()).isFalse();
        try (Sandbox s = Sandbox.builder().backend("auto").build()) {
            assertThat(s.backend()).isEqualTo(chosen.name());
        }
        try (Sandbox s = Sandbox.builder().backend("auto").option("auto.allowEmulated", "false").build()) {
            assertThat(s.backend()).isEqualTo(chosen.name());
        }

        try (Sandbox s = Sandbox.builder().backend("auto").option("auto.allowEmulated", "true").build()) {
            // the registry consumed its option: the VM backend, which refuses options it does not know, started
            assertThat(s.backend()).isEqualTo("microvm");
            assertThat(s.exec(Command.of("true")).exitCode()).isZero();
        }
        try (Sandbox s = Sandbox.builder().backend("microvm").build()) {
            assertThat(s.exec(Command.of("true")).exitCode()).isZero();
        }
    }

    @Test
    void aBadAllowEmulatedValueIsRefusedBeforeAnythingStarts() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Sandbox.builder().option("auto.allowEmulated", "yes").build())
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("auto.allowEmulated=yes: give true or false");
    }

    @Test
    void doctorSaysWhyAnEmulatedBackendWasPassedOver() {
        List<BackendInfo> emulated = Sandbox.backends().stream().filter(b -> b.availability().emulated()).toList();
        Assumptions.assumeFalse(emulated.isEmpty(), "no backend runs under emulation here");
        Cli.Outcome r = Cli.run("doctor");
        String flat = r.out().replaceAll("\\s+", " ");
        for (BackendInfo b : emulated) {
            assertThat(r.out()).containsPattern("(?m)^" + b.name() + " +VIRTUAL_MACHINE +emulated ");
            assertThat(flat).contains("passed over by auto: runs under software emulation, several times slower; name it"
                    + " with --backend " + b.name());
        }
        assertThat(r.out()).doesNotContain("auto would choose: microvm").doesNotContain("auto would choose: qemu");
    }
}
