package dev.sandbox4j.spi;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.NetworkPolicy;
import dev.sandbox4j.SyscallPolicy;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The one table: the policy's part, the guard in every sandbox, the network's part, and its normal form. */
class SyscallTableTest {

    private static List<SyscallRule> of(String name, List<SyscallRule> rules) {
        return rules.stream().filter(r -> r.name().equals(name)).toList();
    }

    @Test
    void strictDeniesIoUringAndNamespaceClonesAndGuardsSetIdAndVsock() {
        List<SyscallRule> t = SyscallTable.forSandbox(IsolationPolicy.strict());
        assertThat(of("io_uring_setup", t)).singleElement().satisfies(r -> {
            assertThat(r.verdict()).isEqualTo(SyscallRule.Verdict.ERRNO);
            assertThat(r.errno()).isEqualTo(SyscallTable.EPERM);
            assertThat(r.reason()).isEqualTo("denied by the policy");
        });
        assertThat(of("clone", t)).filteredOn(r -> r.verdict() == SyscallRule.Verdict.ERRNO).hasSize(8);
        assertThat(of("clone3", t)).singleElement().satisfies(r -> assertThat(r.errno()).isEqualTo(SyscallTable.ENOSYS));
        assertThat(of("fchmodat2", t)).filteredOn(r -> r.verdict() == SyscallRule.Verdict.ERRNO).hasSize(2);
        assertThat(of("openat", t)).filteredOn(r -> r.verdict() == SyscallRule.Verdict.ERRNO).hasSize(4);
        assertThat(of("openat2", t)).singleElement().satisfies(r -> assertThat(r.errno()).isEqualTo(SyscallTable.ENOSYS));
        // on the int's 32 bits: garbage in the high half of the register must not slip past
        assertThat(of("socket", t)).filteredOn(r -> r.verdict() == SyscallRule.Verdict.ERRNO).singleElement()
                .satisfies(r -> assertThat(r.when()).containsExactly(
                        new SyscallRule.ArgTest(0, SyscallRule.Op.MASKED_EQ, 0xffffffffL, SyscallTable.AF_VSOCK)));
        assertThat(of("socket", t)).filteredOn(r -> r.verdict() == SyscallRule.Verdict.ALLOW).hasSize(32)
                .allSatisfy(r -> assertThat(Long.bitCount(r.when().get(0).mask())).isEqualTo(1));
        assertThat(of("socketcall", t)).filteredOn(r -> r.verdict() == SyscallRule.Verdict.ERRNO).singleElement()
                .satisfies(r -> assertThat(r.when().get(0).value()).isEqualTo(SyscallTable.SYS_SOCKET));
    }

    @Test
    void theGuardAndTheVsockRuleHoldWithoutAPolicyFilter() {
        IsolationPolicy p = IsolationPolicy.strict().toBuilder().syscalls(SyscallPolicy.allowAll()).build();
        List<SyscallRule> t = SyscallTable.forSandbox(p);
        assertThat(of("chmod", t)).isNotEmpty();
        assertThat(of("socket", t)).isNotEmpty();
        assertThat(of("io_uring_setup", t)).singleElement().satisfies(r -> assertThat(r.errno()).isEqualTo(SyscallTable.ENOSYS));
        assertThat(of("clone", t)).as("namespaces are the policy's business").isEmpty();
        assertThat(of("unshare", t)).isEmpty();
        assertThat(SyscallTable.forSandbox(p.toBuilder().network(NetworkPolicy.host()).build()))
                .noneMatch(r -> r.name().equals("socket"));
    }

    @Test
    void anUnconditionalRuleReplacesEveryOtherRuleOfItsName() {
        IsolationPolicy p = IsolationPolicy.strict().toBuilder()
                .syscalls(SyscallPolicy.defaultProfile().deny("chmod", "socket")).build();
        List<SyscallRule> t = SyscallTable.forSandbox(p);
        assertThat(of("chmod", t)).singleElement().satisfies(r -> assertThat(r.unconditional()).isTrue());
        assertThat(of("socket", t)).singleElement().satisfies(r -> assertThat(r.unconditional()).isTrue());
    }

    @Test
    void aKillPolicyKillsForItsNamesButKeepsTheFallbackErrnos() {
        IsolationPolicy p = IsolationPolicy.strict().toBuilder()
                .syscalls(new SyscallPolicy(SyscallPolicy.DEFAULT_DENIED, SyscallPolicy.Action.KILL)).build();
        List<SyscallRule> t = SyscallTable.forSandbox(p);
        assertThat(of("ptrace", t)).singleElement().satisfies(r -> assertThat(r.verdict()).isEqualTo(SyscallRule.Verdict.KILL_PROCESS));
        assertThat(of("clone3", t)).singleElement().satisfies(r -> assertThat(r.errno()).isEqualTo(SyscallTable.ENOSYS));
        assertThat(of("chmod", t)).allMatch(r -> r.verdict() != SyscallRule.Verdict.KILL_PROCESS);
    }

    @Test
    void compilesForTheHostAndForAnX8664Guest() {
        List<SyscallRule> t = SyscallTable.forSandbox(IsolationPolicy.strict());
        SeccompProgram host = SeccompProgram.compile(t, SeccompProgram.Target.HOST);
        SeccompProgram guest = SeccompProgram.compile(t, SeccompProgram.Target.X86_64);
        assertThat(host.bpf().length % 8).isZero();
        assertThat(guest.arches()).containsExactly("x86_64");
        assertThat(guest.skipped()).as("libseccomp knows every name of the table").isEmpty();
        assertThat(SeccompProgram.compile(t, SeccompProgram.Target.HOST)).as("cached").isSameAs(host);
    }
}
