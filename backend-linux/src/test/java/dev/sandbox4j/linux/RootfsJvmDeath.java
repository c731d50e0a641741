package dev.sandbox4j.linux;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandbox4j.spi.SandboxBackend;
import dev.sandbox4j.testkit.HostProbes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A JVM that dies (SIGKILL) with an open chroot or nspawn sandbox: the holder of the sandbox's mount
 * namespace sees its lifeline close, kills the sandbox's cgroups and removes them, so the sandboxed
 * processes die at once and no mount survives; the private directory is what a later JVM's reaper removes.
 */
final class RootfsJvmDeath {
    private RootfsJvmDeath() {
    }

    static void check(String backendName, SandboxBackend backend) throws Exception {
        String mark = backendName + "-jvm-death-" + Long.toHexString(System.nanoTime());
        Process jvm = ChildJvms.start(List.of(), RootfsJvmDeathMain.class, backendName, mark);
        String sandboxId;
        try {
            sandboxId = ChildJvms.awaitReady(jvm);
            List<Long> running = RootfsTestSupport.awaitNonEmpty(() -> HostProbes.processesWithEnv("SANDBOX4J_MARK=" + mark),
                    Duration.ofSeconds(20));
            assertThat(running).as("the sandboxed sleep runs").isNotEmpty();
            assertThat(RootfsTestSupport.rootMounts(backendName, sandboxId)).as("the holder's mount namespace").isNotEmpty();
        } finally {
            jvm.destroyForcibly();
            jvm.waitFor(10, TimeUnit.SECONDS);
        }
        assertThat(HostProbes.awaitNoProcessWithEnv("SANDBOX4J_MARK=" + mark, Duration.ofSeconds(10)))
                .as("sandboxed processes alive after their JVM was killed").isEmpty();
        String id = sandboxId;
        assertThat(RootfsTestSupport.awaitEmpty(() -> RootfsTestSupport.rootMounts(backendName, id), Duration.ofSeconds(10)))
                .as("the private mount namespace after the JVM died").isEmpty();
        assertThat(RootfsTestSupport.awaitEmpty(() -> RootfsTestSupport.hostDirsNamed(id).stream()
                .filter(p -> p.startsWith("/sys/fs/cgroup")).toList(), Duration.ofSeconds(10)))
                .as("the holder removed the sandbox's cgroups").isEmpty();
        List<Path> left = RootfsTestSupport.hostDirsNamed(id);
        assertThat(left).as("the private dir stays for the reaper").isNotEmpty();
        List<String> reaped = backend.reap();
        assertThat(reaped).as("the reaper removed the private dir").anyMatch(l -> l.startsWith("temp dir") && l.contains(id));
        assertThat(RootfsTestSupport.hostDirsNamed(id)).as("left after the backend's reaper: the core's workspace only")
                .allMatch(p -> p.getFileName().toString().startsWith("sandbox4j-ws-"));
        dev.sandbox4j.Reaper.reapLeftovers();
        assertThat(RootfsTestSupport.hostDirsNamed(id)).as("left after the core's reaper").isEmpty();
    }
}
