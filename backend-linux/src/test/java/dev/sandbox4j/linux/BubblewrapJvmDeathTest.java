package dev.sandbox4j.linux;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandbox4j.testkit.BackendRequirement;
import dev.sandbox4j.testkit.HostProbes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import dev.sandbox4j.spi.SandboxBackend;
import java.util.ServiceLoader;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A JVM that dies (SIGKILL) with an open sandbox of the namespace backends: its sandboxed processes die
 * with it (bubblewrap: the launcher's parent-death signal and bwrap's --die-with-parent; namespaces: the
 * launcher's pidfd watch of the JVM), and what it left on disk (cgroups, private dir) is removed by the
 * reaper of a later JVM.
 */
class BubblewrapJvmDeathTest {

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"bubblewrap", "namespaces"})
    void theSandboxDiesWithItsJvmAndTheReaperRemovesTheRest(String backend) throws Exception {
        BackendRequirement.assumeAvailable(backend);
        String mark = backend + "-jvm-death-" + Long.toHexString(System.nanoTime());
        Process jvm = ChildJvms.start(List.of("-Dsandbox4j.autoReap=false"), JvmDeathMain.class, mark, backend);
        String sandboxId;
        try {
            sandboxId = ChildJvms.awaitReady(jvm);
            List<Long> running = List.of();
            for (int i = 0; i < 100 && running.isEmpty(); i++) {
                running = HostProbes.processesWithEnv("SANDBOX4J_MARK=" + mark);
                Thread.sleep(20);
            }
            assertThat(running).as("the sandboxed sleep runs").isNotEmpty();
            assertThat(BwrapTestSupport.hostDirsNamed(sandboxId)).isNotEmpty();
        } finally {
            jvm.destroyForcibly();
            jvm.waitFor(10, TimeUnit.SECONDS);
        }
        assertThat(HostProbes.awaitNoProcessWithEnv("SANDBOX4J_MARK=" + mark, Duration.ofSeconds(5)))
                .as("sandboxed processes alive after their JVM was killed").isEmpty();
        List<Path> left = BwrapTestSupport.hostDirsNamed(sandboxId);
        assertThat(left).as("a killed JVM cannot clean up: its cgroups and private dir remain for the reaper").isNotEmpty();
        SandboxBackend b = ServiceLoader.load(SandboxBackend.class).stream().map(ServiceLoader.Provider::get)
                .filter(x -> x.name().equals(backend)).findFirst().orElseThrow();
        List<String> reaped = b.reap();
        assertThat(reaped).as("the backend's reaper: the private dir").anyMatch(l -> l.startsWith("temp dir") && l.contains(sandboxId));
        if (TestPolicies.cgroups()) {
            assertThat(reaped).as("the backend's reaper: the cgroups").anyMatch(l -> l.startsWith("cgroup") && l.contains(sandboxId));
        }
        // the core's reaper removes the core's temp workspace (and calls every backend's reap())
        dev.sandbox4j.Reaper.reapLeftovers();
        assertThat(BwrapTestSupport.hostDirsNamed(sandboxId)).as("left after reap()").isEmpty();
    }
}
