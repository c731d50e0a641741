package dev.sandbox4j.vm.internal.session;

import dev.sandbox4j.vm.internal.image.GuestImage;
import dev.sandbox4j.vm.internal.qemu.HostFacts;

/** The guest kernel command lines. Stateless. */
final class Cmdlines {
    private Cmdlines() {
    }

    private static String common() {
        // quiet: a serial console is slow under TCG; panic=-1 with -no-reboot makes a dead guest end QEMU at once
        return "console=ttyS0 tsc=reliable quiet loglevel=3 panic=-1 reboot=t rdinit=" + GuestImage.AGENT_PATH
                + HostFacts.tscKhz().map(k -> " tsc_early_khz=" + k).orElse("");
    }

    /**
     * microvm: pcie_ports=compat keeps pciehp off the root ports, so that a slot the agent powers on after
     * a restore is not powered off again (and does not wait for a 5-second attention-button timeout).
     */
    static String microvm() {
        return common() + " pcie_ports=compat";
    }

    static String q35() {
        return common();
    }
}
