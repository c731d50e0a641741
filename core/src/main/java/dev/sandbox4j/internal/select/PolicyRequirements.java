package dev.sandbox4j.internal.select;

import dev.sandbox4j.FilesystemPolicy;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.ProcessPolicy;
import dev.sandbox4j.ResourceLimits;
import dev.sandbox4j.SandboxImage;
import dev.sandbox4j.SyscallPolicy;
import dev.sandbox4j.spi.Capability;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a policy and an image into the list of capabilities that enforcing them takes. Wall time, output
 * caps, the environment and file-descriptor hygiene are the core's own work and need none.
 */
final class PolicyRequirements {
    private PolicyRequirements() {
    }

    static List<Requirement> of(IsolationPolicy policy, SandboxImage image) {
        List<Requirement> out = new ArrayList<>();
        FilesystemPolicy fs = policy.filesystem();
        if (fs.isolated()) {
            out.add(new Requirement("filesystem (isolated view)", Capability.FILESYSTEM_VIEW));
        }
        if (!fs.hidden().isEmpty()) {
            out.add(new Requirement("filesystem.hidden " + fs.hidden(), Capability.HIDE_PATHS));
        }
        if (!fs.tmpfs().isEmpty()) {
            out.add(new Requirement("filesystem.tmpfs " + fs.tmpfs(), Capability.TMPFS));
        }
        switch (policy.network().mode()) {
            case NONE -> out.add(new Requirement("network=none", Capability.NETWORK_NONE));
            case LOOPBACK -> out.add(new Requirement("network=loopback", Capability.NETWORK_LOOPBACK));
            case HOST -> out.add(new Requirement("network=host", Capability.NETWORK_HOST));
        }
        ResourceLimits l = policy.limits();
        l.memory().ifPresent(m -> out.add(new Requirement("limits.memory=" + m, Capability.MEMORY_LIMIT)));
        l.cpus().ifPresent(c -> out.add(new Requirement("limits.cpus=" + c, Capability.CPU_LIMIT)));
        l.pids().ifPresent(p -> out.add(new Requirement("limits.pids=" + p, Capability.PIDS_LIMIT)));
        l.fileSize().ifPresent(f -> out.add(new Requirement("limits.fileSize=" + f, Capability.FILE_SIZE_LIMIT)));
        l.openFiles().ifPresent(o -> out.add(new Requirement("limits.openFiles=" + o, Capability.OPEN_FILES_LIMIT)));
        l.disk().ifPresent(d -> out.add(new Requirement("limits.disk=" + d, Capability.DISK_LIMIT)));
        if (policy.syscalls().filters()) {
            out.add(new Requirement("syscalls (" + policy.syscalls().denied().size() + " denied)", Capability.SYSCALL_FILTER));
            if (policy.syscalls().action() == SyscallPolicy.Action.KILL) {
                out.add(new Requirement("syscalls.action=kill", Capability.SYSCALL_FILTER_KILL));
            }
        }
        ProcessPolicy p = policy.process();
        if (p.isolatePids()) {
            out.add(new Requirement("process.isolatePids", Capability.PID_ISOLATION));
        }
        p.uid().ifPresent(u -> out.add(new Requirement("process.uid=" + u, Capability.RUN_AS_UID)));
        if (p.noNewPrivileges()) {
            out.add(new Requirement("process.noNewPrivileges", Capability.NO_NEW_PRIVILEGES));
        }
        if (p.dropCapabilities()) {
            out.add(new Requirement("process.dropCapabilities", Capability.DROP_CAPABILITIES));
        }
        out.add(imageRequirement(image));
        return out;
    }

    private static Requirement imageRequirement(SandboxImage image) {
        if (image instanceof SandboxImage.Oci o) {
            return new Requirement("image=oci:" + o.reference(), Capability.IMAGE_OCI);
        } else if (image instanceof SandboxImage.Directory d) {
            return new Requirement("image=directory:" + d.rootfs(), Capability.IMAGE_DIRECTORY);
        } else if (image instanceof SandboxImage.Rootfs r) {
            return new Requirement("image=rootfs:" + r.tarball(), Capability.IMAGE_ROOTFS);
        } else if (image instanceof SandboxImage.Vm v) {
            return new Requirement("image=vm:" + v.kernel(), Capability.IMAGE_VM);
        }
        return new Requirement("image=host", Capability.IMAGE_HOST);
    }
}
