package dev.sandbox4j.vm.internal.session;

import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.spi.SeccompProgram;
import dev.sandbox4j.spi.SyscallTable;

/**
 * The seccomp program the guest agent installs for every command of a sandbox: sandbox4j's one system-call
 * table for its policy ({@link SyscallTable#forSandbox}: the policy's denials when it filters, the set-id
 * guard and the network rules, always) compiled by libseccomp for x86_64, the guest's only ABI. Stateless;
 * programs are cached by the compiler.
 */
public final class GuestFilter {
    private GuestFilter() {
    }

    /**
     * @throws dev.sandbox4j.SandboxStartException when libseccomp is missing or refuses a rule (named)
     */
    public static byte[] forPolicy(IsolationPolicy policy) {
        return SeccompProgram.compile(SyscallTable.forSandbox(policy), SeccompProgram.Target.X86_64).bpf();
    }
}
