package dev.sandbox4j.internal.select;

import dev.sandbox4j.FilesystemPolicy;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.NetworkPolicy;
import dev.sandbox4j.ProcessPolicy;
import dev.sandbox4j.ResourceLimits;
import dev.sandbox4j.SyscallPolicy;
import dev.sandbox4j.spi.Capability;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;

/**
 * The strongest policy a set of capabilities can enforce: {@link IsolationPolicy#strict()} with exactly
 * the parts relaxed that it cannot: no FILESYSTEM_VIEW: the host's file system; no TMPFS: no tmpfs
 * mounts; no NETWORK_NONE: loopback, else host; each missing limit capability: that limit removed; no
 * SYSCALL_FILTER: no filter; no PID_ISOLATION, RUN_AS_UID, NO_NEW_PRIVILEGES or DROP_CAPABILITIES: that
 * process field relaxed. Stateless.
 */
public final class StrongestPolicy {
    private StrongestPolicy() {
    }

    public static IsolationPolicy forCapabilities(Set<Capability> claimed) {
        IsolationPolicy strict = IsolationPolicy.strict();
        FilesystemPolicy fs = strict.filesystem();
        if (!claimed.contains(Capability.FILESYSTEM_VIEW)) {
            fs = FilesystemPolicy.host();
        } else if (!claimed.contains(Capability.TMPFS)) {
            fs = new FilesystemPolicy(true, fs.mounts(), fs.hidden(), List.of());
        }
        NetworkPolicy net = strict.network();
        if (!claimed.contains(Capability.NETWORK_NONE)) {
            net = claimed.contains(Capability.NETWORK_LOOPBACK) ? NetworkPolicy.loopback() : NetworkPolicy.host();
        }
        ResourceLimits.Builder l = strict.limits().toBuilder();
        if (!claimed.contains(Capability.MEMORY_LIMIT)) {
            l.noMemoryLimit();
        }
        if (!claimed.contains(Capability.CPU_LIMIT)) {
            l.noCpuLimit();
        }
        if (!claimed.contains(Capability.PIDS_LIMIT)) {
            l.noPidsLimit();
        }
        if (!claimed.contains(Capability.FILE_SIZE_LIMIT)) {
            l.noFileSizeLimit();
        }
        if (!claimed.contains(Capability.OPEN_FILES_LIMIT)) {
            l.noOpenFilesLimit();
        }
        if (!claimed.contains(Capability.DISK_LIMIT)) {
            l.noDiskLimit();
        }
        ProcessPolicy p = strict.process();
        boolean drop = p.dropCapabilities() && claimed.contains(Capability.DROP_CAPABILITIES);
        ProcessPolicy process = new ProcessPolicy(p.isolatePids() && claimed.contains(Capability.PID_ISOLATION),
                claimed.contains(Capability.RUN_AS_UID) ? p.uid() : OptionalInt.empty(),
                p.noNewPrivileges() && claimed.contains(Capability.NO_NEW_PRIVILEGES), drop,
                drop ? p.keepCapabilities() : Set.of());
        return strict.toBuilder().filesystem(fs).network(net).limits(l.build())
                .syscalls(claimed.contains(Capability.SYSCALL_FILTER) ? strict.syscalls() : SyscallPolicy.allowAll())
                .process(process).build();
    }
}
