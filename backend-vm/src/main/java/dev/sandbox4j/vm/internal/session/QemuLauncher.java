package dev.sandbox4j.vm.internal.session;

import dev.sandbox4j.spi.BackendSession;
import dev.sandbox4j.spi.SandboxSpec;
import dev.sandbox4j.vm.internal.image.GuestImage;
import dev.sandbox4j.vm.internal.image.VmCache;
import dev.sandbox4j.vm.internal.qemu.VmPlan;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** Opens full q35 VMs: the bzImage booted directly (no disk), virtiofs devices present from the start. Thread-safe. */
public final class QemuLauncher {
    public static final Set<String> OPTIONS = Set.of(VmConfig.OPTION_MEMORY, AcceleratorChoice.OPTION,
            VmConfig.OPTION_BOOT_TIMEOUT, VmConfig.OPTION_ASLR);

    private final VmCache cache;

    public QemuLauncher(VmCache cache) {
        this.cache = cache;
    }

    public BackendSession open(SandboxSpec spec) {
        VmConfig.checkOptions(spec, OPTIONS);
        HostSide host = HostSide.open(spec);
        try {
            VmConfig cfg = VmConfig.of(spec, OPTIONS, host.usr());
            GuestImage image = Guests.resolve(spec.image(), cache);
            AcceleratorChoice.Choice accel = AcceleratorChoice.choose(spec.options(), image, cache);
            VmPlan base = new VmPlan(VmPlan.Machine.Q35, accel.accel(), image.bootKernel(), image.initramfs(), Cmdlines.q35(),
                    cfg.ramMiB(), cfg.cpus(), 0, List.of(), false, Optional.empty(), Optional.empty());
            return ColdBoot.open(spec, cfg, base, "qemu-" + spec.sandboxId(), accel, host);
        } catch (RuntimeException | Error e) {
            host.close();
            throw e;
        }
    }
}
