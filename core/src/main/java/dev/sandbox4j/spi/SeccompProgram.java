package dev.sandbox4j.spi;

import dev.sandbox4j.internal.seccomp.SeccompCompiler;
import java.util.List;

/**
 * A classic-BPF seccomp program compiled from {@link SyscallTable} rules by libseccomp (through JNA), so
 * that every ABI's system-call numbers come from libseccomp and not from a table of ours. Immutable.
 *
 * @param bpf      the program: an array of {@code struct sock_filter} (8 bytes each), as
 *                 {@code PR_SET_SECCOMP} and {@code bwrap --seccomp} take it
 * @param enforced the rules compiled, one line each, in order
 * @param skipped  names unknown to an ABI of the program and skipped there (a call the kernel of that ABI
 *                 does not have cannot be made)
 * @param arches   the ABIs the program covers, the target first; a call through any other ABI kills the caller
 */
public record SeccompProgram(byte[] bpf, List<String> enforced, List<String> skipped, List<String> arches) {

    /** Which ABIs a program covers. */
    public enum Target {
        /** This host's ABI and the compat ABIs its kernel also runs (x86 and x32 on x86_64, arm on aarch64). */
        HOST,
        /**
         * x86_64 alone, for a guest whose kernel this library configures: a call through the x86 or x32 ABI
         * kills the caller.
         */
        X86_64
    }

    public SeccompProgram {
        bpf = bpf.clone();
        enforced = List.copyOf(enforced);
        skipped = List.copyOf(skipped);
        arches = List.copyOf(arches);
    }

    /** A copy: programs are cached and shared between sandboxes. */
    @Override
    public byte[] bpf() {
        return bpf.clone();
    }

    /**
     * Compiles {@code rules} (from {@link SyscallTable}) into a default-allow program for {@code target};
     * {@link SyscallRule.Verdict#ALLOW} rules are skipped (they restate the default). Programs are cached by
     * rules and target. Thread-safe.
     *
     * @throws dev.sandbox4j.SandboxStartException when libseccomp is missing or refuses a rule (named, with errno)
     */
    public static SeccompProgram compile(List<SyscallRule> rules, Target target) {
        return SeccompCompiler.compile(rules, target);
    }

    /** Whether libseccomp loads here: available, naming its version, or why not and the fix. Never throws. */
    public static Availability probe() {
        return SeccompCompiler.probe();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SeccompProgram p && java.util.Arrays.equals(bpf, p.bpf) && enforced.equals(p.enforced)
                && skipped.equals(p.skipped) && arches.equals(p.arches);
    }

    @Override
    public int hashCode() {
        return java.util.Arrays.hashCode(bpf) * 31 + enforced.hashCode();
    }

    @Override
    public String toString() {
        return "seccomp BPF " + bpf.length / 8 + " instructions, arches " + arches + ", " + enforced.size() + " rules"
                + (skipped.isEmpty() ? "" : ", unknown to an ABI and skipped there: " + skipped);
    }
}
