package dev.sandbox4j.vm.internal.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sandbox4j.Command;
import dev.sandbox4j.InvalidInputException;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.SandboxImage;
import dev.sandbox4j.SandboxStartException;
import dev.sandbox4j.testkit.BackendRequirement;
import dev.sandbox4j.vm.internal.image.GuestImage;
import dev.sandbox4j.vm.internal.image.VmCache;
import dev.sandbox4j.vm.internal.qemu.VmPlan;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** KVM is used only when it boots the guest; the test that decides is bounded and its verdict explained. */
@Timeout(300)
class AcceleratorChoiceTest {

    @Test
    @DisplayName("vm.accel forces an accelerator; anything but kvm or tcg is refused")
    void forced() {
        GuestImage none = new GuestImage(Path.of("/k"), Path.of("/k"), Path.of("/i"), "key", true);
        VmCache cache = new VmCache(Path.of("/nonexistent"));
        assertThat(AcceleratorChoice.choose(Map.of("vm.accel", "tcg"), none, cache).accel()).isEqualTo(VmPlan.Accel.TCG);
        assertThat(AcceleratorChoice.choose(Map.of("vm.accel", "KVM"), none, cache).describe()).startsWith("kvm (forced");
        assertThatThrownBy(() -> AcceleratorChoice.choose(Map.of("vm.accel", "hvf"), none, cache))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("give kvm or tcg");
    }

    @Test
    @DisplayName("the KVM self-test gives a verdict within its bound, and explains a failure; without /dev/kvm it is TCG")
    void selfTestVerdict() {
        BackendRequirement.assumeAvailable("microvm");
        VmCache cache = VmCache.user();
        GuestImage image = Guests.resolve(SandboxImage.host(), cache);
        Path kvm = Path.of("/dev/kvm");
        AcceleratorChoice.Choice c = AcceleratorChoice.choose(Map.of(), image, cache);
        if (!Files.isReadable(kvm) || !Files.isWritable(kvm)) {
            assertThat(c).isEqualTo(new AcceleratorChoice.Choice(VmPlan.Accel.TCG, "no usable /dev/kvm"));
            return;
        }
        var failure = AcceleratorChoice.selfTest(image);
        if (failure.isPresent()) {
            assertThat(failure.get()).isNotBlank();
            assertThat(c.accel()).isEqualTo(VmPlan.Accel.TCG);
            assertThat(c.why()).startsWith("KVM failed its boot self-test: ");
        } else {
            assertThat(c.accel()).isEqualTo(VmPlan.Accel.KVM);
        }
    }

    @Test
    @DisplayName("KVM forced on a host where it cannot boot: a clear error with QEMU's words within the boot bound, never a hang")
    void forcedBrokenKvm() {
        BackendRequirement.assumeAvailable("microvm");
        VmCache cache = VmCache.user();
        assumeTrue(Files.isWritable(Path.of("/dev/kvm")), "no /dev/kvm");
        assumeTrue(AcceleratorChoice.selfTest(Guests.resolve(SandboxImage.host(), cache)).isPresent(),
                "KVM works on this host: nothing to fail");
        assertThatThrownBy(() -> {
            try (Sandbox s = Sandbox.builder().backend("microvm").option("vm.accel", "kvm").option("vm.boot-timeout", "10s").build()) {
                s.exec(Command.of("true"));
            }
        }).isInstanceOf(SandboxStartException.class).hasMessageContaining("starting the VM of snapshot-");
    }
}
