package dev.sandbox4j.vm;

import dev.sandbox4j.spi.Availability;
import dev.sandbox4j.spi.BackendSession;
import dev.sandbox4j.spi.Capability;
import dev.sandbox4j.spi.IsolationLevel;
import dev.sandbox4j.spi.SandboxBackend;
import dev.sandbox4j.spi.SandboxSpec;
import dev.sandbox4j.vm.internal.image.VmCache;
import dev.sandbox4j.vm.internal.session.BackendProbe;
import dev.sandbox4j.vm.internal.session.MicrovmLauncher;
import dev.sandbox4j.vm.internal.session.QemuLauncher;
import dev.sandbox4j.vm.internal.session.VmReaper;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * {@code qemu}: a full q35 VM per sandbox, the host's kernel (a bzImage) booted directly with the guest
 * agent's initramfs, virtio-serial and virtiofs on PCI. It enforces what {@link MicrovmBackend} does, in the
 * same way (the one system-call table in the guest, virtiofsd as the sandbox's own host uid, the disk limit
 * through the core's storage, the guest's tmpfs paths in its RAM, a VM stopped when a kill is not confirmed), but
 * boots every sandbox cold (about 2 s under TCG). Options: {@code vm.memory}, {@code vm.accel}, {@code vm.aslr} (as
 * for microvm: commands in the guest start without address randomisation under TCG unless it is true). Needs root
 * and the packages qemu-system-x86, linux-image-cloud-amd64 and busybox-static. Thread-safe.
 */
public final class QemuBackend implements SandboxBackend {
    private final VmCache cache = VmCache.user();
    private final QemuLauncher launcher = new QemuLauncher(cache);

    @Override
    public String name() {
        return "qemu";
    }

    @Override
    public IsolationLevel isolation() {
        return IsolationLevel.VIRTUAL_MACHINE;
    }

    @Override
    public Availability probe() {
        return BackendProbe.probe("qemu", new MicrovmLauncher(cache));
    }

    @Override
    public Set<Capability> capabilities() {
        return MicrovmBackend.CAPABILITIES;
    }

    @Override
    public Duration typicalStartup() {
        return Duration.ofSeconds(2);
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
