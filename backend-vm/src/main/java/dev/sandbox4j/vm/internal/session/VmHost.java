package dev.sandbox4j.vm.internal.session;

import dev.sandbox4j.spi.Availability;
import dev.sandbox4j.vm.internal.image.HostKernel;
import dev.sandbox4j.vm.internal.qemu.HostFacts;
import dev.sandbox4j.vm.internal.qemu.Spawner;
import dev.sandbox4j.vm.internal.qemu.Virtiofsd;
import dev.sandbox4j.vm.internal.qemu.VmPlan;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** Whether this host can run the VM backends, and what they would use. Stateless. */
final class VmHost {
    static final String PACKAGES = "qemu-system-x86 qemu-utils " + HostKernel.PACKAGE + " busybox-static";
    static final Path BUSYBOX = Path.of("/bin/busybox");

    private VmHost() {
    }

    /** Empty when everything a VM sandbox needs is here; else why not, with the fix. */
    static Optional<Availability> missing(boolean needsKernel, boolean needsVirtiofs) {
        if (!Files.isExecutable(Path.of(VmPlan.QEMU))) {
            return Optional.of(Availability.unavailable(VmPlan.QEMU + " is not installed",
                    "apt-get install --no-install-recommends " + PACKAGES));
        }
        if (!Spawner.available()) {
            return Optional.of(Availability.unavailable("setpriv (util-linux) is missing; it ties QEMU to the JVM's life",
                    "apt-get install util-linux"));
        }
        if (needsVirtiofs) {
            if (!Files.isExecutable(Virtiofsd.BINARY)) {
                return Optional.of(Availability.unavailable(Virtiofsd.BINARY + " is missing (it shares /usr and the workspace)",
                        "apt-get install --no-install-recommends qemu-system-x86 (or the virtiofsd package)"));
            }
            if (!HostFacts.root()) {
                return Optional.of(Availability.unavailable("the VM backends start each virtiofsd as the sandbox's own"
                        + " host uid in namespaces that only root can make, and this JVM is not root", "run the JVM as root"));
            }
            if (!Files.isExecutable(BUSYBOX)) {
                return Optional.of(Availability.unavailable(BUSYBOX + " is missing (the guest image holds it)",
                        "apt-get install busybox-static"));
            }
        }
        if (needsKernel && HostKernel.find().isEmpty()) {
            return Optional.of(Availability.unavailable("no guest kernel: /boot has no vmlinuz-*",
                    "apt-get install --no-install-recommends " + HostKernel.PACKAGE));
        }
        return Optional.empty();
    }

    private static volatile String version;

    /** QEMU's version line, e.g. "QEMU 7.2.22"; asked once per JVM, bounded to 5 s. */
    static String qemuVersion() {
        String v = version;
        if (v == null) {
            v = askVersion();
            version = v;
        }
        return v;
    }

    private static String askVersion() {
        try {
            Process p = new ProcessBuilder(VmPlan.QEMU, "--version").redirectErrorStream(true).start();
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return "QEMU (version unknown: --version hung)";
            }
            String first = new String(p.getInputStream().readAllBytes()).lines().findFirst().orElse("QEMU");
            return first.replace("QEMU emulator version", "QEMU").trim();
        } catch (IOException e) {
            return "QEMU (version unknown: " + e.getMessage() + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "QEMU";
        }
    }
}
