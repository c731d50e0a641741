package dev.sandbox4j;

import dev.sandbox4j.internal.Validate;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.TreeSet;

/**
 * A system-call filter: the listed calls fail with {@link Action#ERRNO} (EPERM) or kill the process
 * ({@link Action#KILL}); every other call is allowed. Names are the kernel's (as libseccomp spells them);
 * a name the host architecture does not know is skipped by the backend, one it knows is enforced.
 * Immutable and thread-safe.
 *
 * @param denied the denied system calls; empty means no filter (and needs no capability)
 * @param action what a denied call does
 */
public record SyscallPolicy(Set<String> denied, Action action) {

    public enum Action { ERRNO, KILL }

    /**
     * The default profile: the families a sandboxed program never needs and an escape often does: mounts
     * and pivot_root, namespaces (unshare, setns), ptrace and cross-process memory, kexec, bpf,
     * perf_event_open, userfaultfd, keyrings, kernel modules, reboot, swap, clock setting, acct, quotas,
     * file handles (open_by_handle_at), iopl/ioperm, syslog, personality, the new mount API and io_uring
     * (whose queued operations pass no system-call filter). Every backend that claims the filter also
     * denies what {@link dev.sandbox4j.spi.SyscallTable} adds to any policy: namespace-creating clones,
     * set-id modes and, without the host's network, AF_VSOCK sockets.
     */
    public static final Set<String> DEFAULT_DENIED = Collections.unmodifiableSet(new TreeSet<>(Set.of(
            "mount", "umount2", "pivot_root", "move_mount", "open_tree", "fsopen", "fsconfig", "fsmount", "fspick",
            "mount_setattr", "unshare", "setns", "ptrace", "process_vm_readv", "process_vm_writev",
            "kexec_load", "kexec_file_load", "bpf", "perf_event_open", "userfaultfd",
            "add_key", "request_key", "keyctl", "init_module", "finit_module", "delete_module",
            "reboot", "swapon", "swapoff", "settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
            "acct", "quotactl", "open_by_handle_at", "name_to_handle_at", "iopl", "ioperm", "syslog",
            "personality", "lookup_dcookie", "vhangup", "uselib", "nfsservctl",
            "io_uring_setup", "io_uring_enter", "io_uring_register")));

    public SyscallPolicy {
        if (denied == null || action == null) {
            throw new InvalidInputException("syscalls: give a set of names and an action (ERRNO or KILL)");
        }
        Set<String> copy = new LinkedHashSet<>();
        for (String name : denied) {
            Validate.noNul("syscalls.denied", name);
            if (!name.matches("[a-z0-9_]+")) {
                throw new InvalidInputException("syscalls.denied: '" + name
                        + "' is not a system-call name (lower case letters, digits and '_', e.g. ptrace)");
            }
            copy.add(name);
        }
        denied = Collections.unmodifiableSet(copy);
    }

    /** The default profile ({@link #DEFAULT_DENIED}), failing with EPERM. */
    public static SyscallPolicy defaultProfile() {
        return new SyscallPolicy(DEFAULT_DENIED, Action.ERRNO);
    }

    /** No filter at all. */
    public static SyscallPolicy allowAll() {
        return new SyscallPolicy(Set.of(), Action.ERRNO);
    }

    /** A copy that also denies {@code names}. */
    public SyscallPolicy deny(String... names) {
        Set<String> s = new LinkedHashSet<>(denied);
        s.addAll(Set.of(names));
        return new SyscallPolicy(s, action);
    }

    /** A copy that no longer denies {@code names}. */
    public SyscallPolicy allow(String... names) {
        Set<String> s = new LinkedHashSet<>(denied);
        s.removeAll(Set.of(names));
        return new SyscallPolicy(s, action);
    }

    public boolean filters() {
        return !denied.isEmpty();
    }
}
