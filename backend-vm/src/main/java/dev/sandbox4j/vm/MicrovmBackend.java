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
import dev.sandbox4j.vm.internal.session.VmReaper;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * {@code microvm}: a QEMU microvm per sandbox (virtio-mmio, no firmware, the host's kernel booted through
 * its PVH entry), started by restoring a warm snapshot instead of booting. The first sandbox of a guest
 * shape (kernel, initramfs, RAM, vCPUs, accelerator) boots it once and saves the snapshot in the per-user
 * cache ({@code $XDG_CACHE_HOME/sandbox4j/vm}); every later one restores it and gets its shares hot-added.
 * A guest agent (PID 1) runs the commands.
 *
 * <p>Enforcement: memory and CPUs are the VM's (RAM = the memory limit plus 192 MiB for the guest kernel,
 * rounded up to a power of two, at least 1 GiB; the limit itself is the guest cgroup's memory.max); pids,
 * file size, open files, the uid, no_new_privs and capabilities are applied by the agent in the guest, and
 * so is sandbox4j's one system-call table ({@code SyscallTable.forSandbox}, compiled on the host for x86_64
 * and installed for every command whatever the policy: the set-id guard and, under network {@code none}
 * and {@code loopback}, the AF_VSOCK rule always apply); the host's /usr is shared read-only (enforced on
 * the host) and the workspace read-write, both through virtiofsd; network {@code none} means no network
 * device at all, {@code loopback} a guest-only loopback. KVM is used when it passes a boot self-test, else
 * TCG, and then probe() says {@link Availability#emulated()}: {@code auto} passes it over unless allowed.
 *
 * <p>Host side: every virtiofsd runs as the sandbox's own host uid and gid ({@code spec.host().ids()}), in a
 * user namespace owned by root that maps only the guest's sandbox user (the policy's uid, else 65534) onto
 * them: files the guest creates are the sandbox's host uid's, never root's, and guest root cannot write
 * through a share at all. It serves the core's private nosuid,nodev bind of each pinned host path. The
 * workspace (and each read-write mount's directory) is handed to that uid for the sandbox's life and given
 * back at close; the files API hands what it creates to it too. A timed-out or killed command whose kill
 * the guest does not confirm within 1.5 s (a guest saturated by a fork bomb or a memory hog) stops the VM,
 * so that the timeout holds; the sandbox then refuses further commands, saying why.
 *
 * <p>Disk: with {@code limits.disk} the core puts the workspace on its size-limited storage, so writes
 * through the share fail with ENOSPC past the limit. The policy's tmpfs paths are the guest's own tmpfs
 * mounts, in the guest's RAM: bounded by the VM's memory, never on the host's disk (the guest has no disk).
 *
 * <p>Options: {@code vm.memory} (RAM without a memory limit, default 1g), {@code vm.accel} ({@code kvm}
 * or {@code tcg}), {@code vm.snapshot=false} (boot instead of restoring), {@code vm.aslr} ({@code true} or
 * {@code false}: address-space layout randomisation of the commands in the guest; by default on under KVM
 * and off under TCG, where QEMU 7 must translate a randomised program afresh on every run, which doubles
 * the cost of starting it; the VM stays the isolation boundary either way). Needs root (virtiofsd) and the
 * packages qemu-system-x86, linux-image-cloud-amd64 and busybox-static. Thread-safe.
 */
public final class MicrovmBackend implements SandboxBackend {
    static final Set<Capability> CAPABILITIES = Set.of(Capability.FILESYSTEM_VIEW, Capability.HIDE_PATHS, Capability.TMPFS,
            Capability.NETWORK_NONE, Capability.NETWORK_LOOPBACK, Capability.MEMORY_LIMIT, Capability.CPU_LIMIT,
            Capability.PIDS_LIMIT, Capability.FILE_SIZE_LIMIT, Capability.OPEN_FILES_LIMIT, Capability.DISK_LIMIT, Capability.SYSCALL_FILTER,
            Capability.SYSCALL_FILTER_KILL,
            Capability.PID_ISOLATION, Capability.RUN_AS_UID, Capability.NO_NEW_PRIVILEGES, Capability.DROP_CAPABILITIES,
            Capability.CONTAIN_DAEMONS, Capability.KEEP_BACKGROUND, Capability.REAPABLE, Capability.IMAGE_HOST, Capability.IMAGE_VM);

    private final MicrovmLauncher launcher = new MicrovmLauncher(VmCache.user());

    @Override
    public String name() {
        return "microvm";
    }

    @Override
    public IsolationLevel isolation() {
        return IsolationLevel.VIRTUAL_MACHINE;
    }

    @Override
    public Availability probe() {
        return BackendProbe.probe("microvm", launcher);
    }

    @Override
    public Set<Capability> capabilities() {
        return CAPABILITIES;
    }

    @Override
    public Duration typicalStartup() {
        return Duration.ofMillis(300);
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
