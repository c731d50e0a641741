package dev.sandbox4j.vm.internal.unikernel;

import dev.sandbox4j.DataSize;
import dev.sandbox4j.InvalidInputException;
import dev.sandbox4j.SandboxImage;
import dev.sandbox4j.SandboxStartException;
import dev.sandbox4j.UnsupportedPolicyException;
import dev.sandbox4j.spi.BackendSession;
import dev.sandbox4j.spi.SandboxSpec;
import dev.sandbox4j.vm.internal.image.KernelExtractor;
import dev.sandbox4j.vm.internal.qemu.RuntimeDir;
import dev.sandbox4j.vm.internal.image.VmCache;
import dev.sandbox4j.vm.internal.qemu.VmPlan;
import dev.sandbox4j.vm.internal.session.AcceleratorChoice;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Opens unikernel sandboxes from {@code SandboxImage.vm(image, initrd)}: the image must be an ELF with a
 * PVH entry note (what Unikraft, OSv and this module's test image produce for QEMU); an empty initrd file
 * means none. Thread-safe.
 */
public final class UnikernelLauncher {
    public static final Set<String> OPTIONS = Set.of("vm.memory", "vm.accel");
    static final long DEFAULT_RAM_MIB = 64;

    private final VmCache cache;

    public UnikernelLauncher(VmCache cache) {
        this.cache = cache;
    }

    public BackendSession open(SandboxSpec spec) {
        for (String key : spec.options().keySet()) {
            if (!OPTIONS.contains(key)) {
                throw new InvalidInputException("option '" + key + "' is unknown to the unikernel backend; it takes " + OPTIONS);
            }
        }
        if (!(spec.image() instanceof SandboxImage.Vm vm)) {
            throw new InvalidInputException("the unikernel backend boots SandboxImage.vm(image, initrd); got " + spec.image());
        }
        if (!spec.policy().filesystem().mounts().isEmpty()) {
            throw new UnsupportedPolicyException("unikernel", List.of(new UnsupportedPolicyException.Part(
                    "filesystem.mounts " + spec.policy().filesystem().mounts(), "FILESYSTEM_VIEW", List.of("microvm", "qemu"))),
                    "the unikernel backend cannot share host directories into a unikernel; leave filesystem mounts out"
                            + " or use the microvm or qemu backend");
        }
        Path image = vm.kernel();
        try {
            if (!Files.isRegularFile(image) || !KernelExtractor.isElf(image) || !KernelExtractor.hasPvhNote(image)) {
                throw new SandboxStartException("unikernel image " + image + " is not an ELF file with a PVH entry note"
                        + " (XEN_ELFNOTE_PHYS32_ENTRY); build it for QEMU's PVH boot (Unikraft: the qemu/x86_64 platform)");
            }
            Optional<Path> initrd = Files.isRegularFile(vm.initramfs()) && Files.size(vm.initramfs()) > 0
                    ? Optional.of(vm.initramfs()) : Optional.empty();
            long ram = spec.policy().limits().memory().map(d -> Math.max(16, d.toMiB()))
                    .orElseGet(() -> Optional.ofNullable(spec.options().get("vm.memory"))
                            .map(s -> DataSize.parse(s).toMiB()).orElse(DEFAULT_RAM_MIB));
            int cpus = (int) Math.ceil(spec.policy().limits().cpus().orElse(1));
            VmPlan.Accel accel = AcceleratorChoice.forHost(spec.options(), cache);
            RuntimeDir dir = RuntimeDir.create(spec.sandboxId());
            return new UnikernelSession("unikernel-" + spec.sandboxId(), dir, new UnikernelPlan(accel, image, initrd, "", ram, cpus));
        } catch (IOException e) {
            throw new SandboxStartException("cannot read the unikernel image " + image + ": " + e, e);
        }
    }
}
