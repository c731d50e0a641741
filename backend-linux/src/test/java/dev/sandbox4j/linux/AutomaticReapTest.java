package dev.sandbox4j.linux;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandbox4j.testkit.BackendRequirement;
import dev.sandbox4j.testkit.HostProbes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What a JVM killed with an open sandbox leaves behind (its cgroups, private and staging dirs, temp
 * workspace) is removed by the next JVM that builds a sandbox, without anyone calling the reaper; and a
 * JVM whose automatic reap is turned off does not start one.
 */
class AutomaticReapTest {

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"namespaces", "bubblewrap"})
    void theNextJvmRemovesADeadJvmsLeftoversByItself(String backend) throws Exception {
        BackendRequirement.assumeAvailable(backend);
        String sandboxId = killAJvmWithAnOpenSandbox(backend);
        assertThat(leftovers(sandboxId)).as("a killed JVM cannot clean up after itself").isNotEmpty();

        assertThat(runChild(backend, List.of())).as("the second JVM's output").contains("auto-reap: started");

        assertThat(leftovers(sandboxId)).as("left by the killed JVM after the next JVM's automatic reap").isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"namespaces"})
    void theReapCanBeTurnedOff(String backend) throws Exception {
        BackendRequirement.assumeAvailable(backend);
        assertThat(runChild(backend, List.of("-Dsandbox4j.autoReap=false"))).contains("auto-reap: not started");
        assertThat(runChild(backend, List.of("-Dsandbox4j.autoReap=maybe")))
                .as("a typo is refused at build(), naming the setting")
                .contains("sandbox4j.autoReap").contains("'maybe'");
    }

    private static String killAJvmWithAnOpenSandbox(String backend) throws Exception {
        String mark = backend + "-auto-reap-" + Long.toHexString(System.nanoTime());
        Process jvm = ChildJvms.start(List.of("-Dsandbox4j.autoReap=false"), JvmDeathMain.class, mark, backend);
        try {
            String id = ChildJvms.awaitReady(jvm);
            // killed once its command runs: a JVM killed while its sandbox is still being set up is another test's
            for (int i = 0; i < 1000 && HostProbes.processesWithEnv("SANDBOX4J_MARK=" + mark).isEmpty(); i++) {
                Thread.sleep(20);
            }
            assertThat(HostProbes.processesWithEnv("SANDBOX4J_MARK=" + mark)).as("the sandboxed sleep runs").isNotEmpty();
            return id;
        } finally {
            jvm.destroyForcibly();
            jvm.waitFor(10, TimeUnit.SECONDS);
            assertThat(HostProbes.awaitNoProcessWithEnv("SANDBOX4J_MARK=" + mark, Duration.ofSeconds(10)))
                    .as("sandboxed processes alive after their JVM was killed").isEmpty();
        }
    }

    private static String runChild(String backend, List<String> jvmOptions) throws Exception {
        Process jvm = ChildJvms.start(jvmOptions, AutoReapMain.class, backend);
        try {
            String out = new String(jvm.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(jvm.waitFor(240, TimeUnit.SECONDS)).as("the child JVM ended").isTrue();
            return out;
        } finally {
            jvm.destroyForcibly();
        }
    }

    /** Every host directory named after the sandbox: cgroups, the temp dir's, and a root JVM's staging. */
    private static List<Path> leftovers(String sandboxId) throws IOException {
        List<Path> found = new ArrayList<>(BwrapTestSupport.hostDirsNamed(sandboxId));
        // a root JVM's staging (an unprivileged JVM stages nothing there, and may not read it)
        Path staging = Path.of("/run/sandbox4j");
        if (Files.isDirectory(staging) && Files.isReadable(staging)) {
            try (Stream<Path> s = Files.list(staging)) {
                s.filter(p -> p.getFileName().toString().contains(sandboxId)).forEach(found::add);
            }
        }
        return found;
    }
}
