package dev.sandbox4j.testkit;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.sandbox4j.Command;
import dev.sandbox4j.DataSize;
import dev.sandbox4j.ExecException;
import dev.sandbox4j.ExecResult;
import dev.sandbox4j.Execution;
import dev.sandbox4j.OutputListener;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Contract rules of running commands: exit codes, the output streams, stdin, streaming, output caps and
 * timeouts. Not meant to be extended directly: extend {@link SandboxContractTest}.
 */
public abstract class ExecContract extends ContractTestBase {

    @Test
    @DisplayName("exit codes 0, 3 and 255 come back as given, with no signal and no timeout")
    void exitCodes() {
        for (int code : new int[] {0, 3, 255}) {
            ExecResult r = sh("exit " + code);
            assertThat(r.exitCode()).as("exit code of 'exit %d': %s", code, r).isEqualTo(code);
            assertThat(r.timedOut()).isFalse();
            assertThat(r.signal()).isEmpty();
            assertThat(r.backend()).isEqualTo(backendName());
        }
    }

    @Test
    @DisplayName("a command killed by a signal reports 128 + signal and the signal")
    void signalExit() {
        ExecResult r = sh("kill -9 $$");
        assertThat(r.exitCode()).as("%s", r).isEqualTo(128 + 9);
        assertThat(r.signal()).hasValue(9);
        assertThat(r.timedOut()).isFalse();
    }

    @Test
    @DisplayName("a program that does not exist is exit 127 or an ExecException naming it, never a silent success")
    void missingProgram() {
        String program = "sandbox4j-no-such-program-" + unique();
        ExecResult r;
        try {
            r = sandbox().exec(Command.of(program, "arg"));
        } catch (ExecException e) {
            assertThat(e).hasMessageContaining(program);
            return;
        }
        assertThat(r.exitCode()).as("no such program must exit 127 (as a shell does): %s, stderr: %s", r, r.stderr())
                .isEqualTo(127);
        assertThat(r.stderr()).as("the error names the program").contains(program);
        assertThat(r.timedOut()).isFalse();
    }

    @Test
    @DisplayName("stdout and stderr are kept apart, byte for byte")
    void stdoutAndStderrSeparate() {
        ExecResult r = assertSucceeded(sh("printf 'to-out\\n'; printf 'to-err\\n' >&2; printf 'more-out'"));
        assertThat(r.stdout()).isEqualTo("to-out\nmore-out");
        assertThat(r.stderr()).isEqualTo("to-err\n");
        assertThat(r.truncated()).isFalse();
    }

    @Test
    @DisplayName("stdin bytes (every byte value, more than a pipe buffer) reach the command exactly")
    void stdinReachesCommand() {
        byte[] in = new byte[256 * 1024 + 7];
        new Random(42).nextBytes(in);
        for (int i = 0; i < 256; i++) {
            in[i] = (byte) i;
        }
        ExecResult r = assertSucceeded(sandbox().exec(Command.of("cat").stdin(in)));
        assertThat(digest(r.stdoutBytes())).as("sha-256 of what cat echoed").isEqualTo(digest(in));
        assertThat(r.stdoutBytes()).hasSize(in.length);
    }

    @Test
    @DisplayName("exec without stdin bytes gives the command an empty stdin (cat ends at once)")
    void execHasEmptyStdin() {
        ExecResult r = sandbox().exec(Command.of("cat").timeout(Duration.ofSeconds(20)));
        assertThat(r.timedOut()).as("cat waited for input that never came: %s", r).isFalse();
        assertSucceeded(r);
        assertThat(r.stdoutBytes()).isEmpty();
    }

    @Test
    @DisplayName("the default working directory is the workspace; Command.workdir changes it")
    void workingDirectory() {
        assertThat(assertSucceeded(sandbox().exec(Command.of("pwd"))).stdout().strip()).isEqualTo(sandbox().workspacePath());
        String dir = "wd-" + unique();
        sandbox().files().mkdirs(dir);
        String abs = sandbox().workspacePath() + "/" + dir;
        assertThat(assertSucceeded(sandbox().exec(Command.of("pwd").workdir(abs))).stdout().strip()).isEqualTo(abs);
    }

    @Test
    @DisplayName("start(): the first line is readable from stdout() while the command still runs")
    void streamingStdout() throws Exception {
        Execution e = sandbox().start(Command.shell("echo first; read line; echo \"second:$line\"")
                .timeout(Duration.ofSeconds(60)));
        BufferedReader out = new BufferedReader(new InputStreamReader(e.stdout(), UTF_8));
        assertThat(out.readLine()).isEqualTo("first");
        // the command now blocks in 'read' until we send a line: it must still be running
        assertThat(e.isAlive()).as("the command waits for our stdin line, so it must be alive").isTrue();
        e.stdin().write("go\n".getBytes(UTF_8));
        e.stdin().close();
        assertThat(out.readLine()).isEqualTo("second:go");
        assertThat(out.readLine()).isNull();
        ExecResult r = e.await();
        assertThat(r.exitCode()).as("%s", r).isZero();
        assertThat(r.timedOut()).isFalse();
    }

    @Test
    @DisplayName("start(listener): output chunks arrive while the command runs, per stream, complete at the end")
    void outputListener() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CountDownLatch firstLine = new CountDownLatch(1);
        OutputListener listener = (stream, chunk) -> {
            ByteArrayOutputStream target = stream == OutputListener.Stream.STDOUT ? out : err;
            synchronized (target) {
                target.writeBytes(chunk);
                if (stream == OutputListener.Stream.STDOUT && target.toString(UTF_8).contains("first\n")) {
                    firstLine.countDown();
                }
            }
        };
        Execution e = sandbox().start(Command.shell("printf 'first\\n'; printf 'err-line\\n' >&2; read line;"
                + " printf 'second:%s\\n' \"$line\"").timeout(Duration.ofSeconds(60)), listener);
        assertThat(firstLine.await(60, TimeUnit.SECONDS)).as("the listener got 'first' before the command ended").isTrue();
        assertThat(e.isAlive()).as("the command waits for our stdin line, so it must be alive").isTrue();
        e.stdin().write("go\n".getBytes(UTF_8));
        e.stdin().close();
        ExecResult r = e.await();
        assertThat(r.exitCode()).as("%s", r).isZero();
        synchronized (out) {
            assertThat(out.toString(UTF_8)).isEqualTo("first\nsecond:go\n");
        }
        synchronized (err) {
            assertThat(err.toString(UTF_8)).isEqualTo("err-line\n");
        }
        assertThat(r.stdoutBytes()).as("streamed output is not kept in the result").isEmpty();
        assertThat(r.stderrBytes()).as("streamed output is not kept in the result").isEmpty();
    }

    @Test
    @DisplayName("4 MiB of output under an 8 MiB cap arrive exactly; under a 1 MiB cap exactly the first 1 MiB, truncated")
    void largeOutputExact() {
        byte[] data = new byte[4 * 1024 * 1024];
        new Random(7).nextBytes(data);
        String name = "large-" + unique() + ".bin";
        sandbox().files().write(name, data);
        ExecResult full = assertSucceeded(sandbox().exec(Command.of("cat", name).maxOutput(DataSize.ofMiB(8))
                .timeout(Duration.ofMinutes(2))));
        assertThat(full.truncated()).isFalse();
        assertThat(full.stdoutBytes()).hasSize(data.length);
        assertThat(digest(full.stdoutBytes())).isEqualTo(digest(data));

        ExecResult capped = sandbox().exec(Command.of("cat", name).maxOutput(DataSize.ofMiB(1)).timeout(Duration.ofMinutes(2)));
        assertThat(capped.timedOut()).as("%s", capped).isFalse();
        assertThat(capped.stdoutTruncated()).isTrue();
        assertThat(capped.stderrTruncated()).isFalse();
        assertThat(capped.stdoutBytes()).hasSize(1024 * 1024);
        assertThat(digest(capped.stdoutBytes())).isEqualTo(digest(Arrays.copyOf(data, 1024 * 1024)));
        sandbox().files().delete(name);
    }

    @Test
    @DisplayName("a timeout kills the whole tree, children holding stdout open included, and the result says timedOut")
    void timeoutKillsTree() throws Exception {
        String mark = unique();
        String entry = ContractCommands.MARK + "=" + mark;
        Duration timeout = Duration.ofSeconds(1);
        Command c = Command.shell("sleep 60 & sleep 60 & wait").env(ContractCommands.MARK, mark).timeout(timeout);
        sandbox().id(); // opened before the clock starts
        // the spec's bound: the result arrives within timeout + 2 s; generous here (timeout + 3 s)
        ExecResult r = assertTimeoutPreemptively(Duration.ofSeconds(3).plus(timeout), () -> sandbox().exec(c),
                "the exec did not return within timeout + 3 s: children holding stdout open were not killed");
        assertThat(r.timedOut()).as("%s", r).isTrue();
        assertThat(r.succeeded()).isFalse();
        List<Long> left = HostProbes.awaitNoProcessWithEnv(entry, Duration.ofSeconds(5));
        assertThat(left).as("processes of the timed-out exec still alive on the host:%s", HostProbes.describe(left))
                .isEmpty();
        // inside too, for backends whose processes the host cannot see (a VM, a user-space kernel)
        if (sh("test -r /proc/self/environ && command -v tr && command -v grep").exitCode() == 0) {
            assertThat(assertSucceeded(sh(ContractCommands.processesWithEnvInside(entry))).stdout())
                    .as("processes of the timed-out exec still alive inside").isEmpty();
        }
    }

    @Test
    @DisplayName("an output flood under a 1 MiB cap keeps exactly 1 MiB, says truncated, and costs the heap no more than the cap")
    void outputFloodIsCapped() throws Exception {
        sandbox().id(); // opened before the heap is measured
        String u = unique();
        String done = "flood-done-" + u;
        String go = "flood-go-" + u;
        long oneGiB = 1L << 30;
        long before = HostProbes.usedHeapAfterGc();
        Command c = Command.shell(ContractCommands.floodThenWait(oneGiB, done, go, 3000))
                .maxOutput(DataSize.ofMiB(1)).timeout(Duration.ofMinutes(6));
        var result = CompletableFuture.supplyAsync(() -> sandbox().exec(c));
        long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        while (!sandbox().files().exists(done)) {
            if (result.isDone()) {
                fail("the flood ended before it signalled: %s", result.join());
            }
            if (System.nanoTime() > deadline) {
                fail("the flood did not finish writing 1 GiB within 5 minutes; output is not drained");
            }
            Thread.sleep(50);
        }
        // the whole GiB has passed through the core and the command is still running: nothing may hold it
        long during = HostProbes.usedHeapAfterGc();
        sandbox().files().write(go, new byte[0]);
        ExecResult r = result.get(2, TimeUnit.MINUTES);
        long after = HostProbes.usedHeapAfterGc();
        assertThat(r.timedOut()).as("%s", r).isFalse();
        assertThat(r.exitCode()).as("%s stderr: %s", r, r.stderr()).isZero();
        assertThat(r.stdoutBytes()).hasSize(1024 * 1024);
        assertThat(r.stdoutTruncated()).isTrue();
        assertThat(r.stderrTruncated()).isFalse();
        long margin = 64L * 1024 * 1024;
        assertThat(during - before).as("heap growth while 1 GiB was flooded (bytes)").isLessThan(margin);
        assertThat(after - before).as("heap growth after the flood (bytes)").isLessThan(margin);
    }

    static String digest(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

}
