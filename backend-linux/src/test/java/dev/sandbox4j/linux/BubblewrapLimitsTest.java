package dev.sandbox4j.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sandbox4j.Command;
import dev.sandbox4j.DataSize;
import dev.sandbox4j.ExecResult;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.linux.internal.cgroup.CgroupSandbox;
import dev.sandbox4j.testkit.BackendRequirement;
import dev.sandbox4j.testkit.HostProbes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Fork and memory bombs against the cgroup limits, with the PolicyViolation events they cause. */
class BubblewrapLimitsTest {
    private final BwrapTestSupport support = new BwrapTestSupport();

    @BeforeAll
    static void gate() {
        BackendRequirement.assumeAvailable("bubblewrap");
        assumeTrue(CgroupSandbox.probe().available(), () -> "cgroups: " + CgroupSandbox.probe().reason());
    }

    @Test
    void anUnboundedForkBombHitsThePidsLimitIsKilledOnTimeoutAndIsReported() throws Exception {
        String mark = "bwrap-bomb-" + Long.toHexString(System.nanoTime());
        IsolationPolicy p = IsolationPolicy.strict().toBuilder().limits(l -> l.pids(48)).build();
        try (Sandbox s = support.open(p)) {
            ExecResult r = s.exec(Command.of("bash", "-c", "b() { b | b & }; b; sleep 100")
                    .env("SANDBOX4J_MARK", mark).timeout(Duration.ofSeconds(4)));
            assertThat(r.timedOut()).isTrue();
            assertThat(r.stderr()).contains("fork").contains("Resource temporarily unavailable");
            assertThat(HostProbes.awaitNoProcessWithEnv("SANDBOX4J_MARK=" + mark, Duration.ofSeconds(5)))
                    .as("the timeout killed the whole bomb").isEmpty();
            assertThat(support.violations()).anySatisfy(v -> {
                assertThat(v.rule()).isEqualTo("limits.pids");
                assertThat(v.detail()).contains("48");
            });
            assertThat(s.exec(Command.of("echo", "still usable")).stdout()).isEqualTo("still usable\n");
        }
    }

    /**
     * bwrap's outer process exits before the pid 1 it made has finished exiting. Left to the host's init,
     * that pid 1 stayed a zombie until the init reaped it (this host's init does so every ~1.5 s; a container
     * whose PID 1 is the JVM never does), and zombies count against pids.max: the 21st quick exec failed with
     * "bwrap: Can't fork for pid 1: Resource temporarily unavailable". The launcher now reaps them.
     */
    @Test
    void manyQuickExecsInOneSandboxNeverRunIntoThePidsLimit() {
        IsolationPolicy p = IsolationPolicy.strict().toBuilder().limits(l -> l.pids(20)).build();
        try (Sandbox s = support.open(p)) {
            for (int i = 0; i < 200; i++) {
                ExecResult r = s.exec(Command.of("true"));
                assertThat(r.exitCode()).as("exec %d of true: %s", i, r.stderr()).isZero();
            }
            assertThat(support.violations()).as("no pids violation").noneMatch(v -> v.rule().equals("limits.pids"));
        }
    }

    @Test
    void aMemoryHogIsOomKilledAndReported() {
        IsolationPolicy p = IsolationPolicy.strict().toBuilder().limits(l -> l.memory(DataSize.ofMiB(64))).build();
        try (Sandbox s = support.open(p)) {
            ExecResult r = s.exec(Command.shell("head -c 1073741824 /dev/zero | tail -n 1 > /dev/null; exit $?"));
            assertThat(r.exitCode()).isEqualTo(137);
            assertThat(r.signal()).hasValue(9);
            assertThat(support.violations()).anySatisfy(v -> {
                assertThat(v.rule()).isEqualTo("limits.memory");
                assertThat(v.detail()).contains("out-of-memory").contains("64m");
            });
            assertThat(r.usage().peakMemory()).hasValueSatisfying(m -> assertThat(m.bytes()).isLessThanOrEqualTo(64L << 20));
            ExecResult ok = s.exec(Command.of("head", "-c", "1000", "/dev/zero"));
            assertThat(ok.exitCode()).isZero();
        }
    }

    @Test
    void theCpuQuotaIsWrittenToTheSandboxesCgroupWhichHoldsItsProcesses() throws Exception {
        IsolationPolicy p = IsolationPolicy.strict().toBuilder().limits(l -> l.cpus(0.25)).build();
        try (Sandbox s = support.open(p)) {
            List<Path> cpu = BwrapTestSupport.hostDirsNamed(s.id()).stream()
                    .filter(d -> Files.exists(d.resolve("cpu.cfs_quota_us")) || Files.exists(d.resolve("cpu.max"))).toList();
            assertThat(cpu).hasSize(1);
            Path dir = cpu.get(0);
            String quota = Files.exists(dir.resolve("cpu.max")) ? Files.readString(dir.resolve("cpu.max")).strip()
                    : Files.readString(dir.resolve("cpu.cfs_quota_us")).strip() + " " + Files.readString(dir.resolve("cpu.cfs_period_us")).strip();
            assertThat(quota).isEqualTo("25000 100000");
            // a command's pid (as the host sees it) is a member while it runs
            String mark = "bwrap-cpu-" + Long.toHexString(System.nanoTime());
            dev.sandbox4j.Execution e = s.start(Command.of("sleep", "30").env("SANDBOX4J_MARK", mark));
            try {
                List<Long> pids = List.of();
                for (int i = 0; i < 100 && pids.isEmpty(); i++) {
                    pids = HostProbes.processesWithEnv("SANDBOX4J_MARK=" + mark);
                    Thread.sleep(20);
                }
                assertThat(pids).isNotEmpty();
                assertThat(Files.readAllLines(dir.resolve("cgroup.procs"))).contains(Long.toString(pids.get(0)));
            } finally {
                e.kill();
            }
        }
    }
}
