package dev.sandbox4j.vm.internal.session;

import dev.sandbox4j.SandboxException;
import dev.sandbox4j.SandboxImage;
import dev.sandbox4j.spi.Availability;
import dev.sandbox4j.vm.internal.image.HostKernel;
import dev.sandbox4j.vm.internal.qemu.VmPlan;
import java.util.Map;

/**
 * The probe() of the qemu and microvm backends: what is missing, else QEMU, kernel and accelerator. Under
 * TCG the result is {@link Availability#emulated()}: QEMU then translates every guest instruction in
 * software, which makes each command several times slower than under KVM, so {@code auto} passes these
 * backends over unless allowed. Stateless.
 */
public final class BackendProbe {
    private BackendProbe() {
    }

    public static Availability probe(String backend, MicrovmLauncher launcher) {
        try {
            var missing = VmHost.missing(true, true);
            if (missing.isPresent()) {
                return missing.get();
            }
            String kernel = HostKernel.find().map(HostKernel::release).orElse("?");
            AcceleratorChoice.Choice accel = launcher.acceleratorChoice(Map.of(), SandboxImage.host());
            String detail = VmHost.qemuVersion() + ", guest kernel " + kernel + ", accelerator " + accel.describe();
            return accel.accel() == VmPlan.Accel.TCG ? Availability.emulated(detail + "; software emulation (TCG)")
                    : Availability.available(detail);
        } catch (SandboxException | java.io.UncheckedIOException e) {
            return Availability.unavailable(backend + " cannot prepare its guest: " + e.getMessage(),
                    "apt-get install --no-install-recommends " + VmHost.PACKAGES);
        }
    }
}
