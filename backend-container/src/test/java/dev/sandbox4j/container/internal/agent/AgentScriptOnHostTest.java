package dev.sandbox4j.container.internal.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent script run on the host (no container): one request whose pid FIFO nobody reads must not hold
 * up the next request. Before each request was served by a detached subshell, the loop itself waited in
 * that FIFO's open, and every later command hung until killed.
 */
class AgentScriptOnHostTest {
    @TempDir
    Path ctl;

    @Test
    @Timeout(30)
    void aRequestWhosePidIsNeverReadDoesNotBlockTheNext() throws Exception {
        LibC.mkfifo(ctl.resolve("requests"), 0600);
        LibC.mkfifo(ctl.resolve("ready"), 0600);
        Process agent = new ProcessBuilder("/bin/sh", "-c", AgentScripts.AGENT, "sandbox4j-agent", ctl.toString())
                .redirectErrorStream(true).start();
        try {
            assertThat(new String(Files.readAllBytes(ctl.resolve("ready")), StandardCharsets.UTF_8))
                    .contains(AgentScripts.READY);
            Path stuck = request("aaa1", "echo first");
            Path next = request("bbb2", "echo second");
            try (var requests = Files.newBufferedWriter(ctl.resolve("requests"))) {
                requests.write("aaa1\nbbb2\n");
                requests.flush();
                // the first request: its output and exit are read, its pid FIFO never is
                Thread first = readAll(stuck, "in", "out", "err", "exit");
                Thread second = readAll(next, "in", "out", "err", "exit", "pid");
                second.join(TimeUnit.SECONDS.toMillis(20));
                assertThat(second.isAlive()).as("the second request was served").isFalse();
                assertThat(Files.readString(next.resolve("out.read"))).isEqualTo("second\n");
                assertThat(Files.readString(next.resolve("exit.read")).strip()).isEqualTo("0");
                assertThat(Files.readString(next.resolve("pid.read")).strip()).matches("\\d+");
                first.join(TimeUnit.SECONDS.toMillis(20));
                assertThat(Files.readString(stuck.resolve("out.read"))).isEqualTo("first\n");
                // release the first request's pid writer so nothing of the agent stays behind
                Files.readAllBytes(stuck.resolve("pid"));
            }
            assertThat(agent.waitFor(20, TimeUnit.SECONDS)).as("the agent ends at EOF on its requests").isTrue();
        } finally {
            agent.destroyForcibly();
        }
    }

    /**
     * {@code kill -9 -1} inside kills the command's wrapper, which would write its exit status: the wrapper
     * holds the exit FIFO from before the command starts, so its death is EOF there at once (the JVM reads
     * that as a kill), while the command, which does not hold the FIFO, may still run.
     */
    @Test
    @Timeout(30)
    void aKilledWrapperEndsItsExitFifoAtOnce() throws Exception {
        LibC.mkfifo(ctl.resolve("requests"), 0600);
        LibC.mkfifo(ctl.resolve("ready"), 0600);
        Process agent = new ProcessBuilder("/bin/sh", "-c", AgentScripts.AGENT, "sandbox4j-agent", ctl.toString())
                .redirectErrorStream(true).start();
        List<ProcessHandle> tree = new java.util.ArrayList<>();
        try {
            Files.readAllBytes(ctl.resolve("ready"));
            Path d = request("ccc3", "echo started; exec sleep 60");
            try (var requests = Files.newBufferedWriter(ctl.resolve("requests"))) {
                requests.write("ccc3\n");
                requests.flush();
                Thread exit = readAll(d, "exit");
                Thread io = readAll(d, "in", "out", "err");
                long wrapper = Long.parseLong(new String(Files.readAllBytes(d.resolve("pid")), StandardCharsets.US_ASCII).strip());
                ProcessHandle w = ProcessHandle.of(wrapper).orElseThrow();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (w.descendants().noneMatch(h -> h.info().command().orElse("").endsWith("sleep"))
                        && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                w.descendants().forEach(tree::add);
                assertThat(tree).as("the command runs").isNotEmpty();
                w.destroyForcibly();
                exit.join(TimeUnit.SECONDS.toMillis(5));
                assertThat(exit.isAlive()).as("EOF on the exit FIFO once the wrapper died").isFalse();
                assertThat(Files.readString(d.resolve("exit.read"))).as("no status: a kill").isEmpty();
                assertThat(tree).as("the command itself still runs").anyMatch(ProcessHandle::isAlive);
                tree.forEach(ProcessHandle::destroyForcibly);
                io.join(TimeUnit.SECONDS.toMillis(5));
            }
        } finally {
            tree.forEach(ProcessHandle::destroyForcibly);
            agent.destroyForcibly();
        }
    }

    private Path request(String id, String script) throws Exception {
        Path d = Files.createDirectory(ctl.resolve(id));
        Files.writeString(d.resolve("cmd"), AgentScripts.command(List.of("sh", "-c", script), Map.of("PATH", "/usr/bin:/bin"),
                "/", Set.of()));
        for (String f : List.of("in", "out", "err", "pid", "exit")) {
            LibC.mkfifo(d.resolve(f), 0600);
        }
        return d;
    }

    /** Opens each FIFO of {@code d} (stdin is written empty and closed), copying what it reads to NAME.read. */
    private static Thread readAll(Path d, String... names) {
        Thread t = new Thread(() -> {
            List<Thread> each = new java.util.ArrayList<>();
            for (String n : names) {
                Thread x = new Thread(() -> {
                    try {
                        if (n.equals("in")) {
                            Files.newOutputStream(d.resolve(n)).close();
                        } else {
                            Files.write(d.resolve(n + ".read"), Files.readAllBytes(d.resolve(n)));
                        }
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
                x.setDaemon(true);
                x.start();
                each.add(x);
            }
            for (Thread x : each) {
                try {
                    x.join();
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        t.setDaemon(true);
        t.start();
        return t;
    }
}
