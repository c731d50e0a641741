package dev.sandbox4j.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.NetworkPolicy;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.SyscallPolicy;
import dev.sandbox4j.spi.Capability;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The system calls of the one syscall table ({@code dev.sandbox4j.spi.SyscallTable}), made with the kit's
 * {@link AttackHelper} through every ABI the kernel has (x86_64, i386 by {@code int 0x80}, x32): namespace
 * creation by clone (each CLONE_NEW* flag), clone3, unshare and setns; io_uring; AF_VSOCK sockets. Each
 * attempt must fail with the table's errno exactly (through i386 and x32 a kill by SIGSYS also counts: a
 * filter that does not list an ABI kills its callers), and control calls that the table allows (fork by
 * clone without a namespace flag, an AF_UNIX socket) must succeed. Not meant to be extended directly:
 * extend {@link SandboxContractTest}.
 */
public abstract class SyscallAttackContract extends PolicyContract {

    @Test
    @DisplayName("SYSCALL_FILTER: clone with each CLONE_NEW* flag and unshare/setns fail with EPERM, clone3 with ENOSYS, through every ABI; fork by clone works")
    void namespaceCallsRefusedThroughEveryAbi() {
        requires(Capability.SYSCALL_FILTER);
        Sandbox s = newSandbox(b -> b.syscalls(SyscallPolicy.defaultProfile()));
        AttackHelper.Report r = AttackHelper.run(s, "ns-" + unique(), "ns,controls");
        assertAttempts(r, nsExpectations(true));
    }

    @Test
    @DisplayName("SYSCALL_FILTER: a policy that denies only unshare still refuses clone with CLONE_NEW* flags (EPERM) and clone3 (ENOSYS), through every ABI")
    void cloneFlagsFollowADeniedUnshare() {
        requires(Capability.SYSCALL_FILTER);
        Sandbox s = newSandbox(b -> b.syscalls(new SyscallPolicy(Set.of("unshare"), SyscallPolicy.Action.ERRNO)));
        AttackHelper.Report r = AttackHelper.run(s, "ns-" + unique(), "ns,controls");
        assertAttempts(r, nsExpectations(false));
    }

    @Test
    @DisplayName("SYSCALL_FILTER: io_uring_setup, _enter and _register fail with EPERM under the default profile, through every ABI")
    void ioUringRefusedByTheDefaultProfile() {
        requires(Capability.SYSCALL_FILTER);
        Sandbox s = newSandbox(b -> b.syscalls(SyscallPolicy.defaultProfile()));
        AttackHelper.Report r = AttackHelper.run(s, "uring-" + unique(), "uring,controls");
        assertAttempts(r, List.of(new Expect(AttackHelper.URING, "EPERM"), new Expect(AttackHelper.CONTROLS, "OK")));
    }

    @Test
    @DisplayName("io_uring fails with ENOSYS even under a policy without a syscall filter (the set-id guard: its queued opens pass no filter)")
    void ioUringRefusedWithoutASyscallFilter() {
        requiresIsolation("the set-id guard answers io_uring with ENOSYS whatever the policy");
        Sandbox s = newSandbox(b -> b.syscalls(SyscallPolicy.allowAll()));
        AttackHelper.Report r = AttackHelper.run(s, "uring-" + unique(), "uring,controls");
        assertAttempts(r, List.of(new Expect(AttackHelper.URING, "ENOSYS"), new Expect(AttackHelper.CONTROLS, "OK")));
    }

    @Test
    @DisplayName("NETWORK_NONE: socket(AF_VSOCK) fails with EPERM (stream, datagram, i386 socketcall) through every ABI; AF_UNIX works")
    void vsockRefusedWithNetworkNone() {
        requires(Capability.NETWORK_NONE);
        requiresIsolation("no AF_VSOCK socket without the host's network");
        assertVsockRefused(b -> b.network(NetworkPolicy.none()));
    }

    @Test
    @DisplayName("NETWORK_LOOPBACK: socket(AF_VSOCK) fails with EPERM under a private loopback too")
    void vsockRefusedWithLoopback() {
        requires(Capability.NETWORK_LOOPBACK);
        requiresIsolation("no AF_VSOCK socket without the host's network");
        assertVsockRefused(b -> b.network(NetworkPolicy.loopback()));
    }

    @Test
    @DisplayName("NETWORK_NONE: socket(AF_VSOCK) fails with EPERM even under a policy without a syscall filter")
    void vsockRefusedWithoutASyscallFilter() {
        requires(Capability.NETWORK_NONE);
        requiresIsolation("no AF_VSOCK socket without the host's network");
        assertVsockRefused(b -> b.network(NetworkPolicy.none()).syscalls(SyscallPolicy.allowAll()));
    }

    private void assertVsockRefused(UnaryOperator<IsolationPolicy.Builder> edit) {
        Sandbox s = newSandbox(edit);
        AttackHelper.Report r = AttackHelper.run(s, "vsock-" + unique(), "vsock,controls");
        assertAttempts(r, List.of(new Expect(AttackHelper.VSOCK, "EPERM"), new Expect(AttackHelper.CONTROLS, "OK")));
    }

    /** The ns group's answers: clone with flags, unshare (and setns when the policy denies it) EPERM; clone3 ENOSYS. */
    private static List<Expect> nsExpectations(boolean setnsDenied) {
        List<String> eperm = new ArrayList<>();
        List<String> enosys = new ArrayList<>();
        for (String a : AttackHelper.NS) {
            if (a.startsWith("clone3.")) {
                enosys.add(a);
            } else if (setnsDenied || !a.startsWith("setns.")) {
                eperm.add(a);
            }
        }
        return List.of(new Expect(eperm, "EPERM"), new Expect(enosys, "ENOSYS"), new Expect(AttackHelper.CONTROLS, "OK"));
    }

    /** A group of attempts and the answer each must get ("OK" for success, else the errno's name). */
    record Expect(List<String> attempts, String answer) {
    }

    /** Asserts every expectation through every attempted ABI, listing all mismatches at once. */
    final void assertAttempts(AttackHelper.Report r, List<Expect> expectations) {
        System.out.println(r.summary(backendName()));
        List<String> wrong = new ArrayList<>();
        for (Expect e : expectations) {
            wrong.addAll(r.mismatches(e.attempts(), e.answer()));
        }
        assertThat(wrong).as("attempts that did not get the syscall table's answer in %s (ABIs absent here: %s)%n%s",
                backendName(), r.absentAbis(), r.describe()).isEmpty();
    }
}
