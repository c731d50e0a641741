package dev.sandbox4j.linux;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandbox4j.BackendInfo;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.spi.Availability;
import dev.sandbox4j.spi.Capability;
import dev.sandbox4j.spi.IsolationLevel;
import org.junit.jupiter.api.Test;

/** The doctor rows of chroot: what is claimed (and not), and what is missing with the exact fix. */
class ChrootDoctorTest {
    @Test
    void claimsOnlyWhatAChrootEnforces() {
        BackendInfo info = Sandbox.backends().stream().filter(b -> b.name().equals("chroot")).findFirst().orElseThrow();
        assertThat(info.isolation()).isEqualTo(IsolationLevel.PROCESS);
        assertThat(info.capabilities()).contains(Capability.NETWORK_HOST, Capability.FILESYSTEM_VIEW, Capability.DISK_LIMIT,
                Capability.NO_NEW_PRIVILEGES, Capability.DROP_CAPABILITIES, Capability.PIDS_LIMIT, Capability.MEMORY_LIMIT,
                Capability.CONTAIN_DAEMONS, Capability.SYSCALL_FILTER, Capability.SYSCALL_FILTER_KILL)
                // the command runs as the sandbox's own host uid: no uid of the policy's choosing
                .doesNotContain(Capability.NETWORK_NONE, Capability.NETWORK_LOOPBACK, Capability.PID_ISOLATION,
                        Capability.IMAGE_OCI, Capability.RUN_AS_UID);
    }

    @Test
    void missingProgramsNameThePackage() {
        Availability a = new ChrootBackend("/nonexistent-sandbox4j-bin").probe();
        assertThat(a.available()).isFalse();
        if (dev.sandbox4j.linux.internal.rootfs.RootfsPolicy.effectiveUid() == 0) {
            assertThat(a.reason()).contains("not found on PATH=/nonexistent-sandbox4j-bin").contains("nsenter");
            assertThat(a.fix()).contains("apt-get install util-linux");
        } else {
            assertThat(a.reason()).contains("needs root");
            assertThat(a.fix()).contains("run the JVM as root");
        }
    }

    @Test
    void availableHereSaysHow() {
        dev.sandbox4j.testkit.BackendRequirement.assumeAvailable("chroot");
        Availability a = new ChrootBackend().probe();
        assertThat(a.available()).as("%s", a).isTrue();
        assertThat(a.reason()).contains("nsenter").contains("cgroup");
    }
}
