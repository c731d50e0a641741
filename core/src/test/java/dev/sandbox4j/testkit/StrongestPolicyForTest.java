package dev.sandbox4j.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandbox4j.FilesystemPolicy;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.NetworkPolicy;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.SandboxImage;
import dev.sandbox4j.SyscallPolicy;
import dev.sandbox4j.spi.Capability;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** {@link ContractTestBase#strongestPolicyFor} relaxes exactly what the capabilities lack. */
class StrongestPolicyForTest {

    @Test
    @DisplayName("every capability claimed: strict, unchanged (limits.disk included, as root and as any other user)")
    void allClaimedIsStrict() {
        assertThat(ContractTestBase.strongestPolicyFor(EnumSet.allOf(Capability.class))).isEqualTo(IsolationPolicy.strict());
    }

    @Test
    @DisplayName("no DISK_LIMIT claimed: strict without limits.disk, everything else kept")
    void noDiskLimitClaimed() {
        Set<Capability> noDisk = EnumSet.allOf(Capability.class);
        noDisk.remove(Capability.DISK_LIMIT);
        IsolationPolicy p = ContractTestBase.strongestPolicyFor(noDisk);
        assertThat(p.limits().disk()).isEmpty();
        assertThat(p.toBuilder().limits(l -> l.disk(IsolationPolicy.strict().limits().disk().orElseThrow())).build())
                .isEqualTo(IsolationPolicy.strict());
        assertThat(ContractTestBase.withoutUnenforceableDisk(IsolationPolicy.strict(), noDisk, "test").limits().disk()).isEmpty();
    }

    @Test
    @DisplayName("none's capabilities: every strict part relaxed, and the core accepts the result for none")
    void noneCapabilities() {
        Set<Capability> none = EnumSet.of(Capability.NETWORK_HOST, Capability.IMAGE_HOST);
        IsolationPolicy p = ContractTestBase.strongestPolicyFor(none);
        assertThat(p.filesystem()).isEqualTo(FilesystemPolicy.host());
        assertThat(p.network()).isEqualTo(NetworkPolicy.host());
        assertThat(p.limits().memory()).isEmpty();
        assertThat(p.limits().cpus()).isEmpty();
        assertThat(p.limits().pids()).isEmpty();
        assertThat(p.limits().fileSize()).isEmpty();
        assertThat(p.limits().openFiles()).isEmpty();
        assertThat(p.limits().wallTime()).isEqualTo(IsolationPolicy.strict().limits().wallTime());
        assertThat(p.syscalls()).isEqualTo(SyscallPolicy.allowAll());
        assertThat(p.process().isolatePids()).isFalse();
        assertThat(p.process().uid()).isEmpty();
        assertThat(p.process().noNewPrivileges()).isFalse();
        assertThat(p.process().dropCapabilities()).isFalse();
        assertThat(p.environment()).isEqualTo(IsolationPolicy.strict().environment());
        assertThat(Sandbox.choose("none", p, SandboxImage.host()).name()).isEqualTo("none");
    }

    @Test
    @DisplayName("one capability missing relaxes only its part: no TMPFS keeps the view, no NETWORK_NONE prefers loopback")
    void singlePartsRelaxed() {
        Set<Capability> noTmpfs = EnumSet.allOf(Capability.class);
        noTmpfs.remove(Capability.TMPFS);
        IsolationPolicy p = ContractTestBase.strongestPolicyFor(noTmpfs);
        assertThat(p.filesystem().isolated()).isTrue();
        assertThat(p.filesystem().tmpfs()).isEmpty();
        assertThat(p.toBuilder().filesystem(IsolationPolicy.strict().filesystem()).build()).isEqualTo(IsolationPolicy.strict());

        Set<Capability> noNetworkNone = EnumSet.allOf(Capability.class);
        noNetworkNone.remove(Capability.NETWORK_NONE);
        assertThat(ContractTestBase.strongestPolicyFor(noNetworkNone).network()).isEqualTo(NetworkPolicy.loopback());

        Set<Capability> noMemory = EnumSet.allOf(Capability.class);
        noMemory.remove(Capability.MEMORY_LIMIT);
        IsolationPolicy m = ContractTestBase.strongestPolicyFor(noMemory);
        assertThat(m.limits().memory()).isEmpty();
        assertThat(m.limits().pids()).isEqualTo(IsolationPolicy.strict().limits().pids());
    }
}
