package dev.sandbox4j.testkit;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandbox4j.Command;
import dev.sandbox4j.ExecException;
import dev.sandbox4j.ExecResult;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.SandboxEvent;
import dev.sandbox4j.spi.Capability;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Contract rules of what a sandbox leaks and leaves: environment and file descriptors, processes and
 * temp dirs after close, concurrent use, closed sandboxes and the audit events. Not meant to be extended
 * directly: extend {@link SandboxContractTest}.
 */
public abstract class HygieneContract extends FileDetailsContract {

    @Test
    @DisplayName("the environment is exactly the policy's (PATH, HOME, LANG, TERM) plus the command's additions")
    void environmentHygiene() {
        ExecResult r = assertSucceeded(sandbox().exec(Command.of("env").env("SANDBOX4J_EXTRA", "added value")));
        Map<String, String> seen = new TreeMap<>();
        for (String line : r.stdout().split("\n")) {
            if (!line.isEmpty()) {
                int eq = line.indexOf('=');
                assertThat(eq).as("env printed a line that is no NAME=value: %s", line).isPositive();
                seen.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        Map<String, String> expected = new TreeMap<>(basePolicy().environment().variables());
        for (String name : basePolicy().environment().inherit()) {
            if (System.getenv(name) != null) {
                expected.put(name, System.getenv(name));
            }
        }
        expected.put("SANDBOX4J_EXTRA", "added value");
        assertThat(seen).as("the command's whole environment").isEqualTo(expected);
        assertThat(seen).as("SANDBOX4J_TEST is in the JVM's environment (surefire sets it) and must not leak")
                .doesNotContainKey("SANDBOX4J_TEST");
    }

    @Test
    @DisplayName("a command holds no file descriptor but 0, 1 and 2 (ls /proc/self/fd shows only those and its own)")
    void fileDescriptorHygiene() {
        requireProc(sandbox(), "fd hygiene");
        ExecResult r = assertSucceeded(sandbox().exec(Command.of("ls", "/proc/self/fd")));
        Set<String> fds = new TreeSet<>(Arrays.asList(r.stdout().strip().split("\\s+")));
        assertThat(fds).as("stdin, stdout and stderr").contains("0", "1", "2");
        Set<String> extra = new TreeSet<>(fds);
        extra.removeAll(Set.of("0", "1", "2"));
        assertThat(extra).as("descriptors beyond 0-2 (ls holds one for the directory it lists): %s", fds).hasSizeLessThanOrEqualTo(1);
    }

    @Test
    @DisplayName("close() leaves no process behind, even one that daemonised itself (setsid, stdio closed)")
    void noDaemonSurvivesClose() throws Exception {
        requires(Capability.CONTAIN_DAEMONS);
        Sandbox s = newSandbox(basePolicy());
        requireTool(s, "setsid", "daemonised processes die with close()");
        String mark = unique();
        String started = "daemon-started-" + mark;
        ExecResult r = s.exec(Command.shell(ContractCommands.daemonise(started)).env(ContractCommands.MARK, mark)
                .timeout(Duration.ofSeconds(60)));
        assertThat(r.succeeded()).as("the daemon must have started (dropped %s) before the exec ended: %s%nstderr: %s",
                started, r, r.stderr()).isTrue();
        s.close();
        List<Long> left = HostProbes.awaitNoProcessWithEnv(ContractCommands.MARK + "=" + mark, Duration.ofSeconds(5));
        assertThat(left).as("processes of the closed sandbox still alive on the host:%s", HostProbes.describe(left)).isEmpty();
    }

    @Test
    @DisplayName("close() deletes the temp workspace the builder made")
    void tempWorkspaceRemoved() throws Exception {
        Sandbox s = newSandbox(basePolicy());
        String marker = "workspace-marker-" + unique();
        s.files().write(marker, "m".getBytes(UTF_8));
        Path host = WorkspaceLocator.find(s, marker);
        assertThat(host).as("the builder's temp workspace holding %s was not found on the host; looked in %s",
                marker, WorkspaceLocator.searched(s)).isNotNull();
        s.close();
        assertThat(Files.exists(host)).as("temp workspace %s still exists after close()", host).isFalse();
    }

    @Test
    @DisplayName("close() keeps a workspace the caller gave, with what was written in it")
    void givenWorkspaceKept() throws Exception {
        Path dir = Files.createTempDirectory("sandbox4j-contract-ws-");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        try {
            Sandbox s = newSandbox(basePolicyForHostDirs(), b -> b.workspace(dir));
            s.files().write("kept.txt", "kept".getBytes(UTF_8));
            assertThat(assertSucceeded(s.exec(Command.of("cat", "kept.txt"))).stdout()).isEqualTo("kept");
            s.close();
            assertThat(Files.readString(dir.resolve("kept.txt"))).isEqualTo("kept");
        } finally {
            HostProbes.deleteTree(dir);
        }
    }

    @Test
    @DisplayName("8 threads exec'ing at once on one sandbox each get their own, correct result")
    void concurrentExecs() throws Exception {
        Sandbox s = sandbox();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> jobs = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int thread = t;
                jobs.add(pool.submit(() -> {
                    for (int i = 0; i < 4; i++) {
                        String token = "t" + thread + "-i" + i + "-" + unique();
                        String payload = "payload of " + token + "\n".repeat(thread + 1);
                        ExecResult r = s.exec(Command.of("sh", "-c", "printf '%s:' \"$1\"; cat; printf 'E' >&2; exit $2",
                                "sh", token, Integer.toString(thread)).stdin(payload));
                        assertThat(r.stdout()).isEqualTo(token + ":" + payload);
                        assertThat(r.stderr()).isEqualTo("E");
                        assertThat(r.exitCode()).isEqualTo(thread);
                    }
                    return null;
                }));
            }
            for (Future<?> f : jobs) {
                f.get(5, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    @DisplayName("a closed sandbox says so (isClosed), refuses exec and start with ExecException and files() with"
            + " reason CLOSED; close() again is harmless")
    void execAfterClose() {
        Sandbox s = newSandbox(basePolicy());
        assertThat(s.isClosed()).isFalse();
        assertSucceeded(s.exec(Command.of("true")));
        assertThat(s.isClosed()).isFalse();
        s.close();
        assertThat(s.isClosed()).isTrue();
        assertThat(reasonOf(s::files)).isEqualTo(dev.sandbox4j.FileAccessException.Reason.CLOSED);
        assertThatThrownBy(() -> s.exec(Command.of("true"))).isInstanceOf(ExecException.class);
        assertThatThrownBy(() -> s.start(Command.of("true"))).isInstanceOf(ExecException.class);
        assertThatThrownBy(() -> s.start(Command.of("true"), (stream, chunk) -> { })).isInstanceOf(ExecException.class);
        s.close();
        assertThat(s.isClosed()).isTrue();
    }

    @Test
    @DisplayName("the listener sees Created, ExecStarted and ExecFinished with one execId, and Closed")
    void auditEvents() {
        List<SandboxEvent> all = new CopyOnWriteArrayList<>();
        Sandbox s = newSandbox(basePolicy(), b -> b.listener(all::add));
        ExecResult r = assertSucceeded(s.exec(Command.of("sh", "-c", "exit 0")));
        s.close();
        // a backend may report progress (an image pull, a snapshot build) while it opens: not part of the order
        List<SandboxEvent> events = all.stream().filter(e -> !(e instanceof SandboxEvent.Progress)).toList();
        assertThat(events).extracting(SandboxEvent::sandboxId).containsOnly(s.id());
        assertThat(events.get(0)).isInstanceOfSatisfying(SandboxEvent.Created.class,
                c -> assertThat(c.backend()).isEqualTo(backendName()));
        assertThat(events.get(events.size() - 1)).isInstanceOf(SandboxEvent.Closed.class);
        var startedEvents = events.stream().filter(SandboxEvent.ExecStarted.class::isInstance)
                .map(SandboxEvent.ExecStarted.class::cast).toList();
        var finished = events.stream().filter(SandboxEvent.ExecFinished.class::isInstance)
                .map(SandboxEvent.ExecFinished.class::cast).toList();
        assertThat(startedEvents).hasSize(1);
        assertThat(startedEvents.get(0).argv()).containsExactly("sh", "-c", "exit 0");
        assertThat(finished).hasSize(1);
        assertThat(finished.get(0).execId()).isEqualTo(startedEvents.get(0).execId());
        assertThat(finished.get(0).result().exitCode()).isEqualTo(r.exitCode());
    }
}
