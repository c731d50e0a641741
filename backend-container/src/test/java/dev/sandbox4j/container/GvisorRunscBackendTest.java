package dev.sandbox4j.container;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandbox4j.Command;
import dev.sandbox4j.DataSize;
import dev.sandbox4j.ExecResult;
import dev.sandbox4j.InvalidInputException;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.SandboxEvent;
import dev.sandbox4j.SandboxImage;
import dev.sandbox4j.SandboxStartException;
import dev.sandbox4j.SyscallPolicy;
import dev.sandbox4j.UnsupportedPolicyException;
import dev.sandbox4j.container.internal.runsc.DaemonlessGvisor;
import dev.sandbox4j.testkit.BackendRequirement;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * What gvisor-runsc (runsc without an engine) does beyond the contract kit: it really runs under gVisor,
 * the seccomp filter reaches every command and its children, the memory kill and recovery, what is
 * refused, what close() and the reaper leave (nothing), and the bad inputs. Also that {@code gvisor} with
 * {@code gvisor.mode=runsc} takes this path although Docker runs here.
 */
class GvisorRunscBackendTest {
    static IsolationPolicy policy() {
        return IsolationPolicy.strict().toBuilder().limits(l -> l.noPidsLimit()).build();
    }

    @BeforeAll
    static void runsc() {
        BackendRequirement.assumeAvailable("gvisor-runsc");
    }

    @Test
    @DisplayName("commands run under gVisor's kernel (dmesg is gVisor's), with the host image")
    void runsUnderGvisor() {
        try (Sandbox s = Sandbox.builder().backend("gvisor-runsc").policy(policy().toBuilder()
                .syscalls(SyscallPolicy.allowAll()).build()).build()) {
            ExecResult r = s.exec(Command.shell("dmesg 2>&1 | head -1"));
            assertThat(r.stdout()).as("%s stderr: %s", r, r.stderr()).containsIgnoringCase("gVisor");
        }
    }

    @Test
    @DisplayName("gvisor with gvisor.mode=runsc takes the daemonless path (no engine container), under gVisor")
    void gvisorModeRunsc() {
        // dmesg calls syslog, which the default syscall profile denies
        IsolationPolicy p = IsolationPolicy.strongestFor(new GvisorBackend().capabilities()).toBuilder()
                .syscalls(SyscallPolicy.allowAll()).build();
        try (Sandbox s = Sandbox.builder().backend("gvisor").policy(p).option("gvisor.mode", "runsc").build()) {
            ExecResult r = s.exec(Command.shell("dmesg 2>&1 | head -1"));
            assertThat(r.stdout()).as("%s", r).containsIgnoringCase("gVisor");
            assertThat(sandboxDirsOfThisJvm()).as("the daemonless sandbox's directory").hasSize(1);
        }
        assertThat(sandboxDirsOfThisJvm()).isEmpty();
    }

    @Test
    @DisplayName("the seccomp filter reaches the command's grandchildren (Seccomp: 2; syslog, denied, fails with EPERM)")
    void seccompInherited() {
        try (Sandbox s = Sandbox.builder().backend("gvisor-runsc").policy(policy()).build()) {
            ExecResult r = s.exec(Command.shell("sh -c 'sh -c \"grep ^Seccomp: /proc/self/status; dmesg\"'"));
            assertThat(r.stdout()).as("%s", r).contains("Seccomp:\t2");
            assertThat(r.stderr()).as("dmesg calls syslog, which the default profile denies").contains("Operation not permitted");
        }
    }

    @Test
    @DisplayName("a memory hog gets the sandbox OOM-killed: exit 137, a limits.memory violation, and the sandbox is made again")
    void memoryHogRecovery() throws IOException {
        List<SandboxEvent> events = new CopyOnWriteArrayList<>();
        try (Sandbox s = Sandbox.builder().backend("gvisor-runsc").policy(policy().toBuilder()
                .limits(l -> l.memory(DataSize.ofMiB(96))).build()).listener(events::add).build()) {
            s.files().write("kept.txt", "workspace survives".getBytes(StandardCharsets.UTF_8));
            ExecResult r = s.exec(Command.shell("head -c 1073741824 /dev/zero | tail -n 1 > /dev/null").timeout(Duration.ofMinutes(2)));
            assertThat(r.exitCode()).as("%s", r).isEqualTo(137);
            assertThat(s.exec(Command.of("cat", "/workspace/kept.txt")).stdout()).isEqualTo("workspace survives");
        }
        assertThat(events).filteredOn(SandboxEvent.PolicyViolation.class::isInstance)
                .extracting(e -> ((SandboxEvent.PolicyViolation) e).rule()).contains("limits.memory");
    }

    @Test
    @DisplayName("memory and cpus are the host cgroup's limits on the whole sandbox (memory.limit_in_bytes, cpu.cfs_quota_us)")
    void cgroupLimits() throws IOException {
        try (Sandbox s = Sandbox.builder().backend("gvisor-runsc").policy(policy().toBuilder()
                .limits(l -> l.memory(DataSize.ofMiB(200)).cpus(0.5)).build()).build()) {
            s.exec(Command.of("true"));
            String name = sandboxDirsOfThisJvm().get(0).getFileName().toString();
            Path memory = Path.of("/sys/fs/cgroup/memory", name);
            Path cpu = Stream.of("cpu", "cpu,cpuacct").map(c -> Path.of("/sys/fs/cgroup", c, name)).filter(Files::isDirectory)
                    .findFirst().orElseThrow();
            assertThat(Files.readString(memory.resolve("memory.limit_in_bytes")).strip()).isEqualTo(Long.toString(200L << 20));
            assertThat(Files.readString(cpu.resolve("cpu.cfs_quota_us")).strip()).isEqualTo("50000");
            assertThat(Files.readString(cpu.resolve("cpu.cfs_period_us")).strip()).isEqualTo("100000");
            // the sandbox process (gVisor's kernel, which runs every task inside) is in them
            assertThat(Files.readAllLines(memory.resolve("cgroup.procs"))).isNotEmpty();
        }
    }

    @Test
    @DisplayName("what it does not enforce is refused at build(): a pids limit, an OCI image reference")
    void unclaimedRefused() {
        assertThatThrownBy(() -> Sandbox.builder().backend("gvisor-runsc").policy(policy().toBuilder().limits(l -> l.pids(64)).build()).build())
                .isInstanceOf(UnsupportedPolicyException.class).hasMessageContaining("limits.pids");
        assertThatThrownBy(() -> Sandbox.builder().backend("gvisor-runsc").policy(policy()).image(SandboxImage.oci("alpine:3.20")).build())
                .isInstanceOf(UnsupportedPolicyException.class);
    }

    @Test
    @DisplayName("a daemon (setsid, double fork) is gone after close(): no runsc process, cgroup or directory of the sandbox remains")
    void daemonGoneAfterClose() throws Exception {
        String marker = "sleep " + (100_000_000 + Math.abs(UUID.randomUUID().getMostSignificantBits() % 800_000_000));
        Path dir;
        try (Sandbox s = Sandbox.builder().backend("gvisor-runsc").policy(policy()).build()) {
            ExecResult r = s.exec(Command.shell("(setsid " + marker + " </dev/null >/dev/null 2>&1 &) ; sleep 0.5;"
                    + " for f in /proc/[0-9]*/cmdline; do tr '\\0' ' ' < $f; echo; done | grep -c '^" + marker + " *$'"));
            assertThat(r.stdout().strip()).as("the daemon runs inside: %s %s", r, r.stderr()).isEqualTo("1");
            dir = sandboxDirsOfThisJvm().get(0);
            assertThat(runscProcessesOf(dir)).as("runsc's sandbox and file proxy while open").isNotEmpty();
        }
        assertThat(runscProcessesOf(dir)).as("runsc processes of the closed sandbox").isEmpty();
        assertThat(dir).doesNotExist();
        assertThat(cgroupsNamed(dir.getFileName().toString())).isEmpty();
    }

    @Test
    @DisplayName("runsc's sandbox and file proxy are children of a subreaper that is this JVM's child (not orphans left to"
            + " the host's PID 1 to reap), and close() ends that keeper too")
    void sandboxProcessesHaveAKeeper() {
        Path dir;
        long keeper;
        try (Sandbox s = Sandbox.builder().backend("gvisor-runsc").policy(policy()).build()) {
            assertThat(s.exec(Command.of("true")).exitCode()).isZero();
            dir = sandboxDirsOfThisJvm().get(0);
            List<Long> runscOwn = runscProcessesOf(dir).stream().filter(pid -> cmdline(pid).startsWith("runsc-")).toList();
            assertThat(runscOwn).as("runsc-sandbox and runsc-gofer").hasSizeGreaterThanOrEqualTo(2);
            List<Long> parents = runscOwn.stream().map(pid -> ProcessHandle.of(pid).flatMap(ProcessHandle::parent)
                    .map(ProcessHandle::pid).orElse(-1L)).distinct().toList();
            assertThat(parents).as("one parent of them all").hasSize(1);
            keeper = parents.get(0);
            assertThat(keeper).as("not the host's PID 1").isNotEqualTo(1L);
            assertThat(ProcessHandle.of(keeper).flatMap(ProcessHandle::parent).map(ProcessHandle::pid))
                    .as("the keeper's parent").hasValue(ProcessHandle.current().pid());
        }
        assertThat(ProcessHandle.of(keeper).filter(ProcessHandle::isAlive)).as("the keeper after close()").isEmpty();
        assertThat(runscProcessesOf(dir)).as("runsc processes of the closed sandbox").isEmpty();
    }

    private static String cmdline(long pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    @Test
    @DisplayName("a timeout kills the command's whole tree, children holding stdout included, and the sandbox stays usable")
    void timeoutKillsTree() {
        try (Sandbox s = Sandbox.builder().backend("gvisor-runsc").policy(policy()).build()) {
            ExecResult r = s.exec(Command.shell("sleep 300 & sleep 301 & wait").timeout(Duration.ofSeconds(2)));
            assertThat(r.timedOut()).isTrue();
            ExecResult left = s.exec(Command.shell("for f in /proc/[0-9]*/cmdline; do tr '\\0' ' ' < $f; echo; done | grep -c '^sleep 30[01]'"));
            assertThat(left.stdout().strip()).as("sleeps left: %s", left).isEqualTo("0");
        }
    }

    @Test
    @DisplayName("the reaper removes what a killed JVM's sandbox left: runsc processes, cgroups, directory")
    void reaperAfterKilledJvm() throws Exception {
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), RunscChildJvm.class.getName());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
        assertThat(out).as("child output").contains("READY ");
        String session = out.substring(out.indexOf("READY ") + 6).strip().split("\\s")[0];
        Path dir;
        try (Stream<Path> dirs = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            dir = dirs.filter(d -> d.getFileName().toString().startsWith("sandbox4j-runsc-" + session + "--")).findFirst().orElseThrow();
        }
        // the dead JVM's agent saw EOF on its request FIFO and ended, and with it the sandbox's init: what is
        // left is the stopped container's state, the bundle and the cgroups
        assertThat(cgroupsNamed(dir.getFileName().toString())).as("the dead JVM's cgroups").isNotEmpty();
        List<String> removed = new GvisorRunscBackend().reap();
        assertThat(removed).anyMatch(l -> l.contains("runsc sandbox dir") && l.contains(session))
                .anyMatch(l -> l.contains("runsc container") && l.contains(session));
        assertThat(runscProcessesOf(dir)).isEmpty();
        assertThat(dir).doesNotExist();
        assertThat(cgroupsNamed(dir.getFileName().toString())).isEmpty();
        assertThat(Path.of(System.getProperty("java.io.tmpdir"), dir.getFileName().toString().replace("sandbox4j-runsc-",
                "sandbox4j-ctl-"))).as("the exec agent's control directory").doesNotExist();
    }

    @Test
    @DisplayName("bad input: a runsc that does not exist, an unknown mode, an unknown option: each a clear error with the fix")
    void badInput() {
        assertThatThrownBy(() -> Sandbox.builder().backend("gvisor-runsc").policy(policy())
                .option("gvisor.runsc", "/nonexistent/runsc").build())
                .isInstanceOf(SandboxStartException.class).hasMessageContaining("/nonexistent/runsc")
                .hasMessageContaining("apt-get install runsc");
        IsolationPolicy gvisorPolicy = IsolationPolicy.strongestFor(new GvisorBackend().capabilities());
        assertThatThrownBy(() -> Sandbox.builder().backend("gvisor").policy(gvisorPolicy).option("gvisor.mode", "vm").build())
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("gvisor.mode='vm'").hasMessageContaining("runsc");
        assertThatThrownBy(() -> Sandbox.builder().backend("gvisor-runsc").policy(policy()).option("gvisor.runtime", "x").build())
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("gvisor.runtime");
        assertThat(sandboxDirsOfThisJvm()).as("nothing left by the refused sandboxes").isEmpty();
    }

    static List<Path> sandboxDirsOfThisJvm() {
        try (Stream<Path> dirs = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return dirs.filter(d -> d.getFileName().toString().startsWith(DaemonlessGvisor.namePrefixOfThisJvm())).toList();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Host processes whose command line names the sandbox's runsc state directory. */
    static List<Long> runscProcessesOf(Path dir) {
        String state = dir.resolve("state").toString();
        return ProcessHandle.allProcesses().filter(h -> {
            try {
                String c = new String(Files.readAllBytes(Path.of("/proc", Long.toString(h.pid()), "cmdline")), StandardCharsets.UTF_8);
                return c.contains(state);
            } catch (IOException e) {
                return false;
            }
        }).map(ProcessHandle::pid).toList();
    }

    static List<Path> cgroupsNamed(String name) {
        try (Stream<Path> controllers = Files.list(Path.of("/sys/fs/cgroup"))) {
            return controllers.map(c -> c.resolve(name)).filter(Files::exists).toList();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
