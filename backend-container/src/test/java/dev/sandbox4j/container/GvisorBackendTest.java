package dev.sandbox4j.container;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandbox4j.Command;
import dev.sandbox4j.DataSize;
import dev.sandbox4j.ExecResult;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.ProcessPolicy;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.SandboxEvent;
import dev.sandbox4j.UnsupportedPolicyException;
import dev.sandbox4j.testkit.BackendRequirement;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What the gvisor backend does beyond the kit: it really runs under gVisor, its unclaimed protections, OOM recovery. */
class GvisorBackendTest {
    /** What gVisor can enforce of strict(), with the process policy asking for nothing. */
    private static IsolationPolicy policy() {
        return IsolationPolicy.strict().toBuilder().limits(l -> l.noPidsLimit())
                .syscalls(dev.sandbox4j.SyscallPolicy.allowAll())
                .process(new ProcessPolicy(true, OptionalInt.empty(), false, false, Set.of())).build();
    }

    @BeforeAll
    static void engine() {
        BackendRequirement.assumeAvailable("gvisor");
    }

    @Test
    @DisplayName("commands run under gVisor's kernel (dmesg is gVisor's), with the host image")
    void runsUnderGvisor() {
        try (Sandbox s = Sandbox.builder().backend("gvisor").policy(policy()).build()) {
            ExecResult r = s.exec(Command.shell("dmesg 2>&1 | head -1; uname -r"));
            assertThat(r.stdout()).as("stderr: %s", r.stderr()).containsIgnoringCase("gVisor");
        }
    }

    @Test
    @DisplayName("no capabilities and no new privileges although the policy asks for neither (prctl/capget through setpriv --dump)")
    void alwaysLockedDown() {
        try (Sandbox s = Sandbox.builder().backend("gvisor").policy(policy()).build()) {
            ExecResult r = s.exec(Command.of("setpriv", "--dump"));
            assertThat(r.stdout()).as("stderr: %s", r.stderr()).contains("no_new_privs: 1")
                    .contains("Capability bounding set: [none]").contains("Inheritable capabilities: [none]");
            ExecResult status = s.exec(Command.shell("grep -E '^Cap(Prm|Eff)' /proc/self/status"));
            assertThat(status.stdout()).isEqualTo("CapPrm:\t0000000000000000\nCapEff:\t0000000000000000\n");
        }
    }

    @Test
    @DisplayName("what gVisor does not enforce is refused at build(): a pids limit, an explicit uid")
    void unclaimedRefused() {
        assertThatThrownBy(() -> Sandbox.builder().backend("gvisor").policy(policy().toBuilder().limits(l -> l.pids(64)).build()).build())
                .isInstanceOf(UnsupportedPolicyException.class).hasMessageContaining("limits.pids");
        assertThatThrownBy(() -> Sandbox.builder().backend("gvisor").policy(policy().toBuilder()
                .process(new ProcessPolicy(true, OptionalInt.of(1000), false, false, Set.of())).build()).build())
                .isInstanceOf(UnsupportedPolicyException.class).hasMessageContaining("uid");
    }

    @Test
    @DisplayName("the policy's syscall filter reaches every command and its children through the seccomp helper"
            + " (Seccomp: 2; syslog, denied, fails with EPERM)")
    void syscallFilterOnEveryCommand() {
        try (Sandbox s = Sandbox.builder().backend("gvisor").policy(policy().toBuilder()
                .syscalls(dev.sandbox4j.SyscallPolicy.defaultProfile()).build()).build()) {
            ExecResult r = s.exec(Command.shell("sh -c 'sh -c \"grep ^Seccomp: /proc/self/status; dmesg\"'"));
            assertThat(r.stdout()).as("%s", r).contains("Seccomp:\t2");
            assertThat(r.stderr()).as("dmesg calls syslog, which the default profile denies").contains("Operation not permitted");
        }
    }

    @Test
    @DisplayName("a memory hog gets the gVisor sandbox OOM-killed: exit 137, a limits.memory violation, and the sandbox is usable again")
    void memoryHogRecovery() {
        List<SandboxEvent> events = new CopyOnWriteArrayList<>();
        try (Sandbox s = Sandbox.builder().backend("gvisor").policy(policy().toBuilder()
                .limits(l -> l.memory(DataSize.ofMiB(96))).build()).listener(events::add).build()) {
            ExecResult r = s.exec(Command.shell("head -c 1073741824 /dev/zero | tail -n 1 > /dev/null").timeout(Duration.ofMinutes(2)));
            assertThat(r.exitCode()).as("%s", r).isEqualTo(137);
            assertThat(s.exec(Command.of("echo", "usable")).stdout()).isEqualTo("usable\n");
        }
        assertThat(events).filteredOn(SandboxEvent.PolicyViolation.class::isInstance)
                .extracting(e -> ((SandboxEvent.PolicyViolation) e).rule()).contains("limits.memory");
    }
}
