package dev.sandbox4j.container.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sandbox4j.BackendUnavailableException;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.container.internal.image.HostBinaries;
import dev.sandbox4j.spi.Availability;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Podman's probe tells the truth to a non-root JVM: without a rootful Podman socket it may open, podman is
 * unavailable (a private service would run rootless, and rootless Podman cannot run these sandboxes), with
 * what this host lacks for rootless Podman and the fix; and build() refuses it before trying anything.
 * CI runs this class as root and as a non-root user.
 */
class RootlessPodmanProbeTest {

    @Test
    void theReasonNamesEachPieceOfRootlessPodmanThisHostLacks() {
        String reason = ContainerBackendSupport.rootlessPodman(4242);
        assertThat(reason).contains("would run rootless (this JVM runs as uid 4242)");
        boolean uidmap = HostBinaries.onPath("newuidmap").isPresent() && HostBinaries.onPath("newgidmap").isPresent();
        assertThat(reason.contains("newuidmap and newgidmap are not on the PATH (apt-get install uidmap)")).isEqualTo(!uidmap);
        boolean v2 = Files.exists(Path.of("/sys/fs/cgroup/cgroup.controllers"));
        assertThat(reason.contains("the host's cgroups are v1")).isEqualTo(!v2);
    }

    @Test
    void aNonRootJvmWithoutARootfulSocketFindsPodmanUnavailableWithTheFix() {
        int uid = ContainerBackendSupport.jvmUid();
        assumeTrue(uid > 0, "a non-root JVM's case (CI runs this class as the user s4jci too); this JVM runs as uid " + uid);
        Availability a = new ContainerBackendSupport(EngineKind.PODMAN).probe();
        assumeTrue(!a.available() && a.reason().contains("would run rootless"),
                "a Podman socket this user may open is running here, so podman may be available: " + a);
        assertThat(a.reason()).contains("(this JVM runs as uid " + uid + ")");
        if (HostBinaries.onPath("newuidmap").isEmpty()) {
            assertThat(a.reason()).contains("newuidmap and newgidmap are not on the PATH (apt-get install uidmap)");
        }
        assertThat(a.fix()).isEqualTo(ContainerBackendSupport.ROOTLESS_FIX);
        assertThatThrownBy(() -> Sandbox.builder().backend("podman").policy(IsolationPolicy.strict()).build())
                .isInstanceOf(BackendUnavailableException.class)
                .hasMessageStartingWith("backend 'podman' is not available here: no Podman API socket is running")
                .hasMessageContaining("; fix: " + ContainerBackendSupport.ROOTLESS_FIX);
    }
}
