package dev.sandbox4j.linux;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandbox4j.Command;
import dev.sandbox4j.ExecResult;
import dev.sandbox4j.Execution;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.testkit.BackendRequirement;
import dev.sandbox4j.testkit.HostProbes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The launcher started ahead of its exec (LauncherStandby) and the cheap cgroup join (CgroupSandbox.joinFiles):
 * the first exec of a sandbox runs through the standby, the second through a launcher started on demand,
 * the third through a standby armed again. Each must put the command into every cgroup of the sandbox and
 * hand it its whole stdin; a sandbox closed without an exec must leave no standby behind.
 */
class LauncherStandbyTest {

    @ParameterizedTest
    @ValueSource(strings = {"bubblewrap", "namespaces"})
    void everyExecIsInEveryCgroupOfTheSandboxWhicheverLauncherRanIt(String backend) throws Exception {
        BackendRequirement.assumeAvailable(backend);
        org.junit.jupiter.api.Assumptions.assumeTrue(TestPolicies.cgroups(), "this user can make no cgroup");
        try (Sandbox s = Sandbox.builder().backend(backend).policy(TestPolicies.strict()).build()) {
            List<Path> cgroups = BwrapTestSupport.hostDirsNamed(s.id()).stream()
                    .filter(d -> d.startsWith("/sys/fs/cgroup")).toList();
            assertThat(cgroups).as("memory, pids, cpu and a cgroup to kill with").hasSizeGreaterThanOrEqualTo(4);
            for (int exec = 1; exec <= 3; exec++) {
                String mark = "standby-" + exec + "-" + Long.toHexString(System.nanoTime());
                Execution e = s.start(Command.of("sleep", "30").env("SANDBOX4J_MARK", mark));
                try {
                    List<Long> pids = List.of();
                    for (int i = 0; i < 200 && pids.isEmpty(); i++) {
                        pids = HostProbes.processesWithEnv("SANDBOX4J_MARK=" + mark);
                        Thread.sleep(20);
                    }
                    assertThat(pids).as("exec %d runs", exec).hasSize(1);
                    for (Path cg : cgroups) {
                        assertThat(Files.readAllLines(cg.resolve("cgroup.procs"))).as("exec %d in %s", exec, cg)
                                .contains(Long.toString(pids.get(0)));
                    }
                } finally {
                    e.kill();
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"bubblewrap", "namespaces"})
    void theCommandGetsItsWholeStdinAfterTheStandbysLine(String backend) {
        BackendRequirement.assumeAvailable(backend);
        String input = "first line\n--\n/tmp/not-a-path\nlast, without a newline";
        try (Sandbox s = Sandbox.builder().backend(backend).policy(TestPolicies.strict()).build()) {
            for (int exec = 1; exec <= 3; exec++) {
                ExecResult r = s.exec(Command.of("cat").stdin(input.getBytes(StandardCharsets.UTF_8)));
                assertThat(r.exitCode()).as("exec %d: %s", exec, r.stderr()).isZero();
                assertThat(r.stdout()).as("exec %d", exec).isEqualTo(input);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"bubblewrap", "namespaces"})
    void aSandboxClosedWithoutAnExecLeavesNoStandbyAndNoCgroup(String backend) throws IOException {
        BackendRequirement.assumeAvailable(backend);
        Sandbox s = Sandbox.builder().backend(backend).policy(TestPolicies.strict()).build();
        String id = s.id();
        if (TestPolicies.cgroups()) {
            assertThat(BwrapTestSupport.hostDirsNamed(id)).anyMatch(p -> p.startsWith("/sys/fs/cgroup"));
        }
        s.close();
        assertThat(BwrapTestSupport.hostDirsNamed(id)).as("left after close()").isEmpty();
        List<String> standbys = ProcessHandle.current().children()
                .map(h -> HostProbes.commandLine(h.pid()))
                .filter(c -> c.contains("-standby") && c.contains(id)).toList();
        assertThat(standbys).as("standby launchers of the closed sandbox").isEmpty();
    }
}
