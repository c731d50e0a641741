package dev.sandbox4j.linux;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandbox4j.BackendInfo;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.spi.Availability;
import dev.sandbox4j.spi.Capability;
import dev.sandbox4j.spi.IsolationLevel;
import org.junit.jupiter.api.Test;

/** The doctor rows of nspawn: what is claimed (and not), and what is missing with the exact fix. */
class NspawnDoctorTest {
    @Test
    void claimsNamespacesAndTheSyscallFilter() {
        BackendInfo info = Sandbox.backends().stream().filter(b -> b.name().equals("nspawn")).findFirst().orElseThrow();
        assertThat(info.isolation()).isEqualTo(IsolationLevel.NAMESPACE);
        assertThat(info.capabilities()).contains(Capability.NETWORK_NONE, Capability.NETWORK_LOOPBACK, Capability.PID_ISOLATION,
                Capability.CONTAIN_DAEMONS, Capability.MEMORY_LIMIT, Capability.SYSCALL_FILTER,
                Capability.SYSCALL_FILTER_KILL, Capability.DISK_LIMIT)
                // no user namespace: the command runs as the sandbox's own host uid, not one of the policy's choosing
                .doesNotContain(Capability.IMAGE_OCI, Capability.RUN_AS_UID);
    }

    @Test
    void missingEngineNamesThePackage() {
        Availability a = new NspawnBackend("/nonexistent-sandbox4j-bin").probe();
        assertThat(a.available()).isFalse();
        assertThat(a.reason()).contains("systemd-nspawn not found on PATH=/nonexistent-sandbox4j-bin");
        assertThat(a.fix()).contains("apt-get install systemd-container");
    }

    @Test
    void availableHereSaysHow() {
        dev.sandbox4j.testkit.BackendRequirement.assumeAvailable("nspawn");
        Availability a = new NspawnBackend().probe();
        assertThat(a.available()).as("%s", a).isTrue();
        assertThat(a.reason()).contains("systemd-nspawn").contains("--register=no");
    }
}
