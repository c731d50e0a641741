package dev.sandbox4j.vm.internal.session;

import dev.sandbox4j.SandboxException;
import dev.sandbox4j.spi.Availability;
import dev.sandbox4j.vm.internal.image.HostKernel;
import java.util.function.Supplier;

/** The probe() of the qemu and microvm backends: what is missing, else QEMU, kernel and accelerator. Stateless. */
public final class BackendProbe {
    private BackendProbe() {
    }

    public static Availability probe(String backend, Supplier<String> accelerator) {
        try {
            var missing = VmHost.missing(true, true);
            if (missing.isPresent()) {
                return missing.get();
            }
            String kernel = HostKernel.find().map(HostKernel::release).orElse("?");
            return Availability.available(VmHost.qemuVersion() + ", guest kernel " + kernel + ", accelerator " + accelerator.get());
        } catch (SandboxException | java.io.UncheckedIOException e) {
            return Availability.unavailable(backend + " cannot prepare its guest: " + e.getMessage(),
                    "apt-get install --no-install-recommends " + VmHost.PACKAGES);
        }
    }
}
