package dev.sandbox4j.vm.internal.qemu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** What this host is, as the VM command lines need it. Stateless. */
public final class HostFacts {
    private HostFacts() {
    }

    /**
     * The TSC frequency in kHz, for {@code tsc_early_khz=}: without it a microvm guest under TCG calibrates
     * against the PIT, which it does not have, and its boot sometimes hangs. From /proc/cpuinfo.
     */
    public static Optional<Long> tscKhz() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("cpu MHz")) {
                    double mhz = Double.parseDouble(line.substring(line.indexOf(':') + 1).trim());
                    return Optional.of(Math.round(mhz * 1000));
                }
            }
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    /** True when this process runs as root (virtiofsd needs it for its namespaces). */
    public static boolean root() {
        try {
            return ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).longValue() == 0;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** The host's boot id: an accelerator verdict holds until the next boot. */
    public static String bootId() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).strip();
        } catch (IOException e) {
            return "unknown";
        }
    }
}
