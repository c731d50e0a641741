package dev.sandbox4j.vm.internal.session;

import dev.sandbox4j.UnsupportedPolicyException;
import java.util.List;
import java.util.Set;

/** Linux capability names (linux/capability.h, in bit order) to the mask the agent keeps. Stateless. */
public final class CapabilityBits {
    static final List<String> NAMES = List.of("CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
            "CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
            "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
            "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN",
            "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",
            "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN",
            "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
            "CAP_CHECKPOINT_RESTORE");

    private CapabilityBits() {
    }

    public static long mask(Set<String> keep) {
        long m = 0;
        for (String name : keep) {
            int bit = NAMES.indexOf(name);
            if (bit < 0) {
                throw new UnsupportedPolicyException("vm", List.of(new UnsupportedPolicyException.Part(
                        "process.keepCapabilities " + name, "DROP_CAPABILITIES", List.of())),
                        "process.keepCapabilities: '" + name + "' is not a capability the guest kernel knows; known: " + NAMES);
            }
            m |= 1L << bit;
        }
        return m;
    }
}
