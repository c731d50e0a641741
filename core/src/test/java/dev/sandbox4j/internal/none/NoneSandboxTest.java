package dev.sandbox4j.internal.none;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandbox4j.Command;
import dev.sandbox4j.DataSize;
import dev.sandbox4j.EnvironmentPolicy;
import dev.sandbox4j.ExecException;
import dev.sandbox4j.ExecResult;
import dev.sandbox4j.Execution;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.SandboxEvent;
import dev.sandbox4j.UnsupportedPolicyException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/** The core runtime through the public API, on the none backend's real host processes. */
@EnabledOnOs(OS.LINUX)
class NoneSandboxTest {
    private static Sandbox open() {
        return Sandbox.builder().backend("none").policy(IsolationPolicy.permissive()).build();
    }

    @Test
    void runsACommandAndReportsItsOutputAndStatus() {
        try (Sandbox s = open()) {
            ExecResult r = s.exec(Command.shell("printf out; printf err >&2; exit 3"));
            assertThat(r.exitCode()).isEqualTo(3);
            assertThat(r.stdout()).isEqualTo("out");
            assertThat(r.stderr()).isEqualTo("err");
            assertThat(r.backend()).isEqualTo("none");
            assertThat(r.signal()).isEmpty();
            assertThat(s.backend()).isEqualTo("none");
        }
    }

    @Test
    void aMissingProgramIsExit127LikeAShell() {
        try (Sandbox s = open()) {
            ExecResult r = s.exec(Command.of("no-such-program-sandbox4j"));
            assertThat(r.exitCode()).isEqualTo(127);
            assertThat(r.stderr()).isEqualTo("no-such-program-sandbox4j: command not found\n");
        }
    }

    @Test
    void theEnvironmentIsExactlyThePolicys() {
        // surefire sets SANDBOX4J_TEST=1 in this JVM's environment
        assertThat(System.getenv("SANDBOX4J_TEST")).isEqualTo("1");
        try (Sandbox s = open()) {
            ExecResult r = s.exec(Command.of("env"));
            assertThat(lines(r.stdout())).isEqualTo(EnvironmentPolicy.DEFAULT_VARIABLES.entrySet().stream()
                    .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.toCollection(TreeSet::new)));
            assertThat(r.stdout()).doesNotContain("SANDBOX4J_TEST");
        }
        IsolationPolicy inheriting = IsolationPolicy.permissive().toBuilder()
                .environment(EnvironmentPolicy.defaults().inheriting("SANDBOX4J_TEST", "SANDBOX4J_NOT_SET_ANYWHERE")
                        .with("FROM_POLICY", "p").with("BOTH", "policy"))
                .build();
        try (Sandbox s = Sandbox.builder().backend("none").policy(inheriting).build()) {
            ExecResult r = s.exec(Command.of("env").env("BOTH", "command"));
            Set<String> env = lines(r.stdout());
            assertThat(env).contains("SANDBOX4J_TEST=1", "FROM_POLICY=p", "BOTH=command");
            assertThat(env).noneMatch(l -> l.startsWith("SANDBOX4J_NOT_SET_ANYWHERE"));
            assertThat(env).hasSize(EnvironmentPolicy.DEFAULT_VARIABLES.size() + 3);
        }
    }

    @Test
    void theWorkspaceIsTheDefaultWorkingDirectoryAndAMissingOneIsRefused() throws Exception {
        try (Sandbox s = open()) {
            assertThat(s.exec(Command.of("pwd")).stdout().trim()).isEqualTo(s.workspacePath());
            s.files().mkdirs("sub");
            assertThat(s.exec(Command.of("pwd").workdir(s.workspacePath() + "/sub")).stdout().trim())
                    .isEqualTo(s.workspacePath() + "/sub");
            assertThatThrownBy(() -> s.exec(Command.of("pwd").workdir("/no/such/dir/sandbox4j")))
                    .isInstanceOf(ExecException.class)
                    .hasMessageContaining("/no/such/dir/sandbox4j");
        }
    }

    @Test
    void aTimeoutKillsTheWholeTreeAndReturns() throws Exception {
        try (Sandbox s = open()) {
            ExecResult r = s.exec(Command.shell("sleep 60 & echo $!; sleep 60 & echo $!; wait")
                    .timeout(Duration.ofSeconds(1)));
            assertThat(r.timedOut()).isTrue();
            assertThat(r.exitCode()).isEqualTo(137);
            List<Long> pids = pids(r.stdout());
            assertThat(pids).hasSize(2);
            for (long pid : pids) {
                assertThat(ProcTestSupport.alive(pid)).as("sleep %d after the timeout", pid).isFalse();
            }
        }
    }

    @Test
    void aBackgroundChildHoldingStdoutDoesNotHangExecAndDiesOnClose() throws Exception {
        long pid;
        try (Sandbox s = open()) {
            ExecResult r = s.exec(Command.shell("sleep 60 & echo $!"));
            assertThat(r.exitCode()).isZero();
            assertThat(r.timedOut()).isFalse();
            pid = pids(r.stdout()).get(0);
            // exec returned while the child (which holds stdout) still runs: we did not wait for it
            assertThat(ProcTestSupport.alive(pid)).isTrue();
        }
        assertThat(ProcTestSupport.alive(pid)).as("background sleep %d after close", pid).isFalse();
    }

    @Test
    void outputIsCappedPerStream() {
        try (Sandbox s = open()) {
            ExecResult r = s.exec(Command.shell("head -c 5000000 /dev/zero; echo small >&2")
                    .maxOutput(DataSize.ofMiB(1)));
            assertThat(r.stdoutBytes()).hasSize(1024 * 1024);
            assertThat(r.stdoutTruncated()).isTrue();
            assertThat(r.stderr()).isEqualTo("small\n");
            assertThat(r.stderrTruncated()).isFalse();
            assertThat(r.exitCode()).isZero();
        }
    }

    @Test
    void stdinBytesReachTheCommandAndStartLeavesStdinToTheCaller() throws Exception {
        try (Sandbox s = open()) {
            assertThat(s.exec(Command.of("cat").stdin("given")).stdout()).isEqualTo("given");
            assertThat(s.exec(Command.of("cat")).stdout()).isEmpty();
            Execution e = s.start(Command.of("cat"));
            e.stdin().write("typed".getBytes(StandardCharsets.UTF_8));
            e.stdin().close();
            assertThat(new String(e.stdout().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("typed");
            assertThat(e.await().exitCode()).isZero();
        }
    }

    @Test
    void killEndsAStartedCommand() {
        try (Sandbox s = open()) {
            Execution e = s.start(Command.of("sleep", "60"));
            assertThat(e.isAlive()).isTrue();
            e.kill();
            ExecResult r = e.await();
            assertThat(r.exitCode()).isEqualTo(137);
            assertThat(r.signal()).hasValue(9);
            assertThat(r.timedOut()).isFalse();
            assertThat(e.isAlive()).isFalse();
        }
    }

    @Test
    void aListenerGetsStreamedOutput() {
        try (Sandbox s = open()) {
            List<String> got = Collections.synchronizedList(new ArrayList<>());
            Execution e = s.start(Command.shell("echo one; echo two >&2"),
                    (stream, chunk) -> got.add(stream + ":" + new String(chunk, StandardCharsets.UTF_8)));
            ExecResult r = e.await();
            assertThat(String.join("", got)).contains("STDOUT:one\n").contains("STDERR:two\n");
            assertThat(r.stdoutBytes()).isEmpty();
        }
    }

    @Test
    void closeIsIdempotentKillsWhatRunsAndRefusesLaterCommands() throws Exception {
        List<SandboxEvent> events = Collections.synchronizedList(new ArrayList<>());
        Sandbox s = Sandbox.builder().backend("none").policy(IsolationPolicy.permissive())
                .listener(events::add)
                .listener(e -> {
                    throw new IllegalStateException("a listener bug must not break the sandbox");
                })
                .build();
        Path ws = Path.of(s.workspacePath());
        assertThat(ws).isDirectory();
        assertThat(s.exec(Command.of("true")).exitCode()).isZero();
        Execution running = s.start(Command.of("sleep", "60"));
        s.close();
        s.close();
        ExecResult killed = running.await();
        assertThat(killed.exitCode()).isEqualTo(137);
        assertThat(killed.timedOut()).isFalse();
        assertThat(ws).doesNotExist();
        assertThatThrownBy(() -> s.exec(Command.of("true"))).isInstanceOf(ExecException.class)
                .hasMessageContaining("sandbox " + s.id() + " is closed; build a new one");
        assertThatThrownBy(() -> s.start(Command.of("true"))).isInstanceOf(ExecException.class)
                .hasMessageContaining("is closed");
        List<Class<?>> kinds = events.stream().map(Object::getClass).collect(Collectors.toList());
        assertThat(kinds).containsExactly(SandboxEvent.Created.class, SandboxEvent.ExecStarted.class,
                SandboxEvent.ExecFinished.class, SandboxEvent.ExecStarted.class, SandboxEvent.ExecFinished.class,
                SandboxEvent.Closed.class);
        assertThat(events).allMatch(e -> e.sandboxId().equals(s.id()));
    }

    @Test
    void aGivenWorkspaceIsUsedAndKept(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("in.txt"), "host");
        try (Sandbox s = Sandbox.builder().backend("none").policy(IsolationPolicy.permissive()).workspace(dir).build()) {
            assertThat(s.exec(Command.of("cat", "in.txt")).stdout()).isEqualTo("host");
        }
        assertThat(dir.resolve("in.txt")).hasContent("host");
    }

    @Test
    void aMissingWorkspaceIsRefusedBeforeAnythingStarts(@TempDir Path dir) {
        Path missing = dir.resolve("nope");
        assertThatThrownBy(() -> Sandbox.builder().backend("none").policy(IsolationPolicy.permissive())
                .workspace(missing).build())
                .isInstanceOf(dev.sandbox4j.InvalidInputException.class)
                .hasMessageContaining(missing.toString());
    }

    @Test
    void noneRefusesAPolicyItCannotEnforce() {
        assertThatThrownBy(() -> Sandbox.builder().backend("none").policy(IsolationPolicy.strict()).build())
                .isInstanceOf(UnsupportedPolicyException.class)
                .hasMessageContaining("network=none");
    }

    private static Set<String> lines(String text) {
        return Arrays.stream(text.split("\n")).filter(l -> !l.isEmpty()).collect(Collectors.toCollection(TreeSet::new));
    }

    private static List<Long> pids(String text) {
        return Arrays.stream(text.trim().split("\\s+")).map(Long::parseLong).collect(Collectors.toList());
    }

}
