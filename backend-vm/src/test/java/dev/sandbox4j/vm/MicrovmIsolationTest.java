package dev.sandbox4j.vm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandbox4j.Command;
import dev.sandbox4j.DataSize;
import dev.sandbox4j.ExecResult;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.NetworkPolicy;
import dev.sandbox4j.ProcessPolicy;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.SandboxEvent;
import dev.sandbox4j.SyscallPolicy;
import dev.sandbox4j.testkit.BackendRequirement;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Escape attempts that only a VM backend answers in its own way: a guest root that remounts the read-only
 * /usr share read-write, a real fork bomb, a memory hog with no memory limit (the VM's RAM), the host's
 * environment anywhere in the guest, network devices. All in microvm sandboxes restored from the module's
 * one snapshot (every policy here fits in the 1 GiB, 1 vCPU guest).
 */
@Timeout(300)
class MicrovmIsolationTest {
    static final String BACKEND = "microvm";

    /** Guest root with every privilege the policy can give: the VM alone has to hold. */
    static IsolationPolicy guestRoot() {
        return IsolationPolicy.strict().toBuilder().syscalls(SyscallPolicy.allowAll())
                .process(new ProcessPolicy(true, OptionalInt.of(0), false, false, Set.of())).build();
    }

    @BeforeAll
    static void available() {
        BackendRequirement.assumeAvailable(BACKEND);
        VmTests.warm(BACKEND, IsolationPolicy.strict());
    }

    @Test
    @DisplayName("guest root remounts the /usr share read-write, and writing still fails: the host enforces read-only")
    void readOnlyUsrHeldByTheHost() {
        String probe = "sandbox4j-escape-" + System.nanoTime();
        try (Sandbox s = Sandbox.builder().backend(BACKEND).policy(guestRoot()).build()) {
            ExecResult remount = s.exec(Command.shell("mount -o remount,rw /usr && grep ' /usr ' /proc/mounts"));
            assertThat(remount.exitCode()).as("guest root can remount its own mount: %s %s", remount, remount.stderr()).isZero();
            assertThat(remount.stdout()).contains("virtiofs rw");
            ExecResult w = s.exec(Command.shell("echo owned > /usr/" + probe));
            assertThat(w.exitCode()).isNotZero();
            assertThat(w.stderr()).contains("Read-only file system");
        }
        assertThat(Files.exists(Path.of("/usr", probe))).isFalse();
    }

    @Test
    @DisplayName("a real fork bomb hits the pids limit, is killed on timeout, and the sandbox answers afterwards")
    void forkBomb() {
        List<SandboxEvent> events = new CopyOnWriteArrayList<>();
        IsolationPolicy p = IsolationPolicy.strict().toBuilder().limits(l -> l.pids(64)).build();
        try (Sandbox s = Sandbox.builder().backend(BACKEND).policy(p).listener(events::add).build()) {
            // the classic bomb, with a shell that stays until the timeout kills the whole exec cgroup
            ExecResult bomb = s.exec(Command.shell("b() { b | b & }; b; sleep 60").timeout(Duration.ofSeconds(8)));
            assertThat(bomb.timedOut()).as("%s %s", bomb, bomb.stderr()).isTrue();
            assertThat(bomb.stderr()).containsPattern("(?i)(resource temporarily unavailable|can't fork|cannot fork)");
            ExecResult count = s.exec(Command.shell("cat /sys/fs/cgroup/sandbox/pids.max"));
            assertThat(count.stdout().strip()).isEqualTo("64");
            assertThat(s.exec(Command.of("echo", "alive")).stdout()).isEqualTo("alive\n");
        }
        assertThat(events).filteredOn(SandboxEvent.PolicyViolation.class::isInstance)
                .extracting(e -> ((SandboxEvent.PolicyViolation) e).rule()).contains("limits.pids");
    }

    @Test
    @DisplayName("with no memory limit the VM's RAM is the limit: the guest kills the hog (SIGKILL), not its agent")
    void memoryHogWithoutLimit() {
        IsolationPolicy p = IsolationPolicy.strict().toBuilder().limits(l -> l.noMemoryLimit()).build();
        try (Sandbox s = Sandbox.builder().backend(BACKEND).policy(p).build()) {
            ExecResult hog = s.exec(Command.shell("head -c 4294967296 /dev/zero | tail -n 1 > /dev/null").timeout(Duration.ofMinutes(3)));
            assertThat(hog.exitCode()).as("%s %s", hog, hog.stderr()).isEqualTo(137);
            assertThat(s.exec(Command.of("echo", "alive")).stdout()).isEqualTo("alive\n");
        }
    }

    @Test
    @DisplayName("a memory limit below the VM's RAM is the guest cgroup's: a hog dies and one violation event says so")
    void memoryLimitViolationEvent() {
        List<SandboxEvent> events = new CopyOnWriteArrayList<>();
        IsolationPolicy p = IsolationPolicy.strict().toBuilder().limits(l -> l.memory(DataSize.ofMiB(64))).build();
        try (Sandbox s = Sandbox.builder().backend(BACKEND).policy(p).listener(events::add).build()) {
            ExecResult hog = s.exec(Command.shell("head -c 1073741824 /dev/zero | tail -n 1 > /dev/null"));
            assertThat(hog.exitCode()).isEqualTo(137);
            assertThat(s.exec(Command.shell("cat /sys/fs/cgroup/sandbox/memory.max")).stdout().strip())
                    .isEqualTo(Long.toString(64L << 20));
            // the agent reuses the hog's emptied cgroup with the counters it had then: no second report
            for (int i = 0; i < 3; i++) {
                assertThat(s.exec(Command.of("true")).exitCode()).isZero();
            }
        }
        assertThat(events).filteredOn(SandboxEvent.PolicyViolation.class::isInstance)
                .extracting(e -> ((SandboxEvent.PolicyViolation) e).rule()).containsExactly("limits.memory");
    }

    @Test
    @DisplayName("no process in the guest, the agent included, holds the host's environment; commands run as the policy's user")
    void hostEnvironmentNowhere() {
        assertThat(System.getenv("SANDBOX4J_TEST")).as("surefire sets it in the JVM's environment").isNotNull();
        try (Sandbox s = Sandbox.builder().backend(BACKEND).policy(guestRoot()).build()) {
            ExecResult r = s.exec(Command.shell("cat /proc/[0-9]*/environ | tr '\\000' '\\n' | grep -c SANDBOX4J_TEST; cat /proc/1/cmdline"));
            assertThat(r.stdout()).startsWith("0\n").contains("/sandbox4j/agent");
        }
    }

    @Test
    @DisplayName("network none: no network device but a loopback that is down; loopback: it is up")
    void networkDevices() {
        try (Sandbox s = Sandbox.builder().backend(BACKEND).policy(IsolationPolicy.strict()).build()) {
            assertThat(s.exec(Command.shell("ls /sys/class/net")).stdout().strip()).isEqualTo("lo");
            assertThat(s.exec(Command.shell("cat /sys/class/net/lo/flags")).stdout().strip()).isEqualTo("0x8");
        }
        IsolationPolicy lo = IsolationPolicy.strict().toBuilder().network(NetworkPolicy.loopback()).build();
        try (Sandbox s = Sandbox.builder().backend(BACKEND).policy(lo).build()) {
            assertThat(s.exec(Command.shell("ls /sys/class/net")).stdout().strip()).isEqualTo("lo");
            assertThat(s.exec(Command.shell("cat /sys/class/net/lo/flags")).stdout().strip()).isEqualTo("0x9");
        }
    }

    @Test
    @DisplayName("a restored guest has the host's clock and its own randomness, not the snapshot's")
    void clockAndRandomness() {
        try (Sandbox a = Sandbox.builder().backend(BACKEND).build(); Sandbox b = Sandbox.builder().backend(BACKEND).build()) {
            long guest = Long.parseLong(a.exec(Command.of("date", "+%s")).stdout().strip());
            assertThat(Math.abs(guest - System.currentTimeMillis() / 1000)).isLessThan(120);
            String ra = a.exec(Command.shell("head -c 16 /dev/urandom | od -An -tx1")).stdout();
            String rb = b.exec(Command.shell("head -c 16 /dev/urandom | od -An -tx1")).stdout();
            assertThat(ra).isNotEqualTo(rb);
        }
    }

    @Test
    @DisplayName("vm.aslr decides the address randomisation of guest commands; the guest clock ticks finer than a jiffy")
    void addressRandomisationAndClock() {
        try (Sandbox s = Sandbox.builder().backend(BACKEND).option("vm.aslr", "false").build()) {
            // ADDR_NO_RANDOMIZE (0x0040000): TCG reuses a program's translated code only at fixed addresses
            assertThat(s.exec(Command.of("cat", "/proc/self/personality")).stdout().strip()).isEqualTo("00040000");
            // tsc=reliable: without it the 1-vCPU guest fell back to a 4 ms jiffies clock
            assertThat(s.exec(Command.of("cat", "/sys/devices/system/clocksource/clocksource0/current_clocksource")).stdout().strip())
                    .isEqualTo("tsc");
        }
        try (Sandbox s = Sandbox.builder().backend(BACKEND).option("vm.aslr", "true").build()) {
            assertThat(s.exec(Command.of("cat", "/proc/self/personality")).stdout().strip()).isEqualTo("00000000");
            String maps = "grep -m1 stack /proc/self/maps";
            assertThat(s.exec(Command.shell(maps)).stdout()).isNotEqualTo(s.exec(Command.shell(maps)).stdout());
        }
    }
}
