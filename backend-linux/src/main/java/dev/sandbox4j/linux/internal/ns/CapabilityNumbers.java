package dev.sandbox4j.linux.internal.ns;

import dev.sandbox4j.SandboxStartException;
import java.util.List;

/** Linux capability numbers by name, from linux/capability.h (0 to 40, CAP_LAST_CAP of Linux 5.9 and later). */
final class CapabilityNumbers {
    private static final List<String> NAMES = List.of("CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH",
            "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
            "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK",
            "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT",
            "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
            "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
            "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND",
            "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE");

    private CapabilityNumbers() {
    }

    /**
     * The number of {@code name}.
     *
     * @throws SandboxStartException for a name Linux does not have, naming it
     */
    static int of(String name) {
        int n = NAMES.indexOf(name);
        if (n < 0) {
            throw new SandboxStartException("process.keepCapabilities: " + name + " is not a Linux capability"
                    + " (known: CAP_CHOWN ... CAP_CHECKPOINT_RESTORE, see capabilities(7)); fix the name");
        }
        return n;
    }
}
