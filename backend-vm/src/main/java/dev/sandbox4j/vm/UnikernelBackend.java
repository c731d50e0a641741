package dev.sandbox4j.vm;

import dev.sandbox4j.spi.Availability;
import dev.sandbox4j.spi.BackendSession;
import dev.sandbox4j.spi.Capability;
import dev.sandbox4j.spi.IsolationLevel;
import dev.sandbox4j.spi.SandboxBackend;
import dev.sandbox4j.spi.SandboxSpec;
import dev.sandbox4j.vm.internal.image.VmCache;
import dev.sandbox4j.vm.internal.qemu.Spawner;
import dev.sandbox4j.vm.internal.qemu.VmPlan;
import dev.sandbox4j.vm.internal.session.AcceleratorChoice;
import dev.sandbox4j.vm.internal.session.VmReaper;
import dev.sandbox4j.vm.internal.unikernel.UnikernelLauncher;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code unikernel}: boots a unikernel image ({@code SandboxImage.vm(image, initrd)}: an ELF with a PVH
 * entry, as Unikraft, OSv or MirageOS build for QEMU; an empty initrd file means none) under QEMU, once per
 * command. The command's arguments, joined by spaces, are the image's command line; its serial console is
 * the command's stdin and stdout; QEMU's own messages are its stderr; the exit code is the byte the image
 * writes to isa-debug-exit (port 0xf4): QEMU ends with {@code (v << 1) | 1} and the code is v (a plain
 * power-off is 0). A unikernel has no environment, working directory or files of the host: the command's
 * environment and working directory are not passed, and host mounts are refused.
 *
 * <p>Enforcement: memory (the VM's RAM, default 64m) and CPUs (vCPUs), no network device, nothing of the
 * host's file system or processes visible. Disk: a unikernel has no share and no disk image, so it stores
 * nothing on the host and any {@code limits.disk} holds. Accelerator: KVM when the host's Linux guest passes the VM
 * backends' KVM self-test (or {@code vm.accel=kvm}), else TCG. Options: {@code vm.memory}, {@code vm.accel}.
 * Thread-safe.
 */
public final class UnikernelBackend implements SandboxBackend {
    private final VmCache cache = VmCache.user();
    private final UnikernelLauncher launcher = new UnikernelLauncher(cache);

    @Override
    public String name() {
        return "unikernel";
    }

    @Override
    public IsolationLevel isolation() {
        return IsolationLevel.VIRTUAL_MACHINE;
    }

    @Override
    public Availability probe() {
        if (!Files.isExecutable(Path.of(VmPlan.QEMU))) {
            return Availability.unavailable(VmPlan.QEMU + " is not installed", "apt-get install --no-install-recommends qemu-system-x86");
        }
        if (!Spawner.available()) {
            return Availability.unavailable("setpriv (util-linux) is missing; it ties QEMU to the JVM's life", "apt-get install util-linux");
        }
        String detail = "QEMU microvm with isa-debug-exit; images: PVH ELF via SandboxImage.vm(image, initrd)";
        VmPlan.Accel accel;
        try {
            accel = AcceleratorChoice.forHost(Map.of(), cache);
        } catch (RuntimeException e) {
            accel = VmPlan.Accel.TCG;
        }
        // under TCG QEMU translates every guest instruction in software: auto passes it over unless allowed
        return accel == VmPlan.Accel.TCG ? Availability.emulated(detail + "; accelerator tcg, software emulation (TCG)")
                : Availability.available(detail + "; accelerator kvm");
    }

    @Override
    public Set<Capability> capabilities() {
        return Set.of(Capability.FILESYSTEM_VIEW, Capability.NETWORK_NONE, Capability.MEMORY_LIMIT, Capability.CPU_LIMIT,
                Capability.DISK_LIMIT, Capability.PID_ISOLATION, Capability.CONTAIN_DAEMONS, Capability.REAPABLE, Capability.IMAGE_VM);
    }

    /**
     * A boot per command takes about 50 ms under TCG, but auto must never take a Linux kernel and initramfs
     * for a unikernel image: this backend reports itself slower than the Linux VM backends, so auto picks
     * it only when nothing else can run the sandbox; ask for it by name.
     */
    @Override
    public Duration typicalStartup() {
        return Duration.ofSeconds(10);
    }

    @Override
    public BackendSession open(SandboxSpec spec) {
        return launcher.open(spec);
    }

    @Override
    public List<String> reap() {
        return VmReaper.reap();
    }
}
