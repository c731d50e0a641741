package dev.sandbox4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code run} against the core's {@code none} backend (plain host processes), which needs the permissive preset. */
class RunCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] NONE = {"run", "--backend", "none", "--preset", "permissive"};

    private static String[] run(String... rest) {
        String[] args = new String[NONE.length + rest.length];
        System.arraycopy(NONE, 0, args, 0, NONE.length);
        System.arraycopy(rest, 0, args, NONE.length, rest.length);
        return args;
    }

    @Test
    void passesOutputThroughAndExitsWithTheCommandsStatus() {
        Cli.Outcome r = Cli.run(run("--", "sh", "-c", "echo hi; echo err >&2; exit 3"));
        assertThat(r.status()).isEqualTo(3);
        assertThat(r.out()).isEqualTo("hi\n");
        assertThat(r.err()).isEqualTo("err\n");
    }

    @Test
    void theCommandNeedsNoDoubleDashAndKeepsItsOwnFlags() {
        Cli.Outcome r = Cli.run(run("sh", "-c", "echo \"$0\" \"$1\"", "--json", "--memory"));
        assertThat(r.status()).isZero();
        assertThat(r.out()).isEqualTo("--json --memory\n");
    }

    @Test
    void forwardsStdin() {
        ByteArrayInputStream in = new ByteArrayInputStream("line one\nline two\n".getBytes(StandardCharsets.UTF_8));
        Cli.Outcome r = Cli.runWithStdin(in, run("--", "sh", "-c", "tr a-z A-Z; echo done"));
        assertThat(r.status()).isZero();
        assertThat(r.out()).isEqualTo("LINE ONE\nLINE TWO\ndone\n");
    }

    @Test
    void streamsOutputWhileTheCommandStillRunsAndStdinAsItComes() throws Exception {
        PipedOutputStream typing = new PipedOutputStream();
        PipedInputStream stdin = new PipedInputStream(typing);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        CompletableFuture<Integer> status = CompletableFuture.supplyAsync(() -> SandboxCli.commandLine(
                new StdStreams(stdin, o, e)).execute(run("--", "sh", "-c", "echo first; read x; echo \"second $x\"")));
        // the command blocks on `read` until we type: "first" can only be here if it was streamed
        String seen = "";
        for (int i = 0; i < 600 && !seen.contains("first"); i++) {
            Thread.sleep(50);
            synchronized (o) {
                seen = out.toString(StandardCharsets.UTF_8);
            }
        }
        assertThat(seen).isEqualTo("first\n");
        assertThat(status).isNotDone();
        typing.write("typed\n".getBytes(StandardCharsets.UTF_8));
        typing.close();
        assertThat(status.get(60, TimeUnit.SECONDS)).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("first\nsecond typed\n");
    }

    @Test
    void jsonReportsEveryField() throws Exception {
        Cli.Outcome r = Cli.run(run("--json", "--", "sh", "-c", "echo hi; echo err >&2; exit 3"));
        assertThat(r.status()).isEqualTo(3);
        assertThat(r.err()).isEmpty();
        JsonNode j = JSON.readTree(r.out());
        assertThat(fieldNames(j)).containsExactlyInAnyOrder("exitCode", "timedOut", "stdout", "stderr",
                "stdoutTruncated", "stderrTruncated", "durationMillis", "backend", "signal");
        assertThat(j.get("exitCode").asInt()).isEqualTo(3);
        assertThat(j.get("timedOut").asBoolean()).isFalse();
        assertThat(j.get("stdout").asText()).isEqualTo("hi\n");
        assertThat(j.get("stderr").asText()).isEqualTo("err\n");
        assertThat(j.get("stdoutTruncated").asBoolean()).isFalse();
        assertThat(j.get("stderrTruncated").asBoolean()).isFalse();
        assertThat(j.get("durationMillis").isIntegralNumber()).isTrue();
        assertThat(j.get("durationMillis").asLong()).isNotNegative();
        assertThat(j.get("backend").asText()).isEqualTo("none");
        assertThat(j.get("signal").isNull()).isTrue();
    }

    @Test
    void jsonReportsTheSignalThatEndedTheCommand() throws Exception {
        Cli.Outcome r = Cli.run(run("--json", "--", "sh", "-c", "kill -KILL $$"));
        JsonNode j = JSON.readTree(r.out());
        assertThat(j.get("signal").asInt()).isEqualTo(9);
        assertThat(j.get("exitCode").asInt()).isEqualTo(137);
        assertThat(r.status()).isEqualTo(137);
    }

    @Test
    void maxOutputCapsEachStreamAndSaysTruncated() throws Exception {
        Cli.Outcome r = Cli.run(run("--json", "--max-output", "1k", "--",
                "sh", "-c", "head -c 100000 /dev/zero | tr '\\0' a; echo small >&2"));
        JsonNode j = JSON.readTree(r.out());
        assertThat(r.status()).isZero();
        assertThat(j.get("stdout").asText()).hasSize(1024).matches("a+");
        assertThat(j.get("stdoutTruncated").asBoolean()).isTrue();
        assertThat(j.get("stderr").asText()).isEqualTo("small\n");
        assertThat(j.get("stderrTruncated").asBoolean()).isFalse();
    }

    @Test
    void notFoundAndNotExecutableExitAsAShellWould(@TempDir Path dir) throws IOException {
        Cli.Outcome missing = Cli.run(run("--", "no-such-program-sandbox4j"));
        assertThat(missing.status()).isEqualTo(127);
        assertThat(missing.err()).contains("no-such-program-sandbox4j");
        Path plain = Files.writeString(dir.resolve("not-executable"), "echo should not run\n");
        Cli.Outcome notExecutable = Cli.run(run("--", plain.toString()));
        assertThat(notExecutable.status()).isEqualTo(126);
        assertThat(notExecutable.out()).isEmpty();
    }

    @Test
    void aTimeoutExits124() {
        Cli.Outcome r = Cli.run(run("--timeout", "500ms", "--", "sleep", "10"));
        assertThat(r.status()).isEqualTo(124);
    }

    @Test
    void aTimeoutIsReportedInJson() throws Exception {
        Cli.Outcome r = Cli.run(run("--timeout", "500ms", "--json", "--", "sh", "-c", "echo started; sleep 10"));
        assertThat(r.status()).isEqualTo(124);
        JsonNode j = JSON.readTree(r.out());
        assertThat(j.get("timedOut").asBoolean()).isTrue();
        assertThat(j.get("stdout").asText()).isEqualTo("started\n");
    }

    @Test
    void envAndWorkdirReachTheCommand() {
        Cli.Outcome r = Cli.run(run("--env", "GREETING=hello world", "--env", "N=2", "--workdir", "/",
                "--", "sh", "-c", "echo \"$GREETING $N\"; pwd"));
        assertThat(r.status()).isZero();
        assertThat(r.out()).isEqualTo("hello world 2\n/\n");
    }

    @Test
    void theWorkspaceIsTheCommandsDirectoryAndIsKept(@TempDir Path workspace) throws IOException {
        Cli.Outcome r = Cli.run(run("--workspace", workspace.toString(), "--", "sh", "-c", "echo data > out.txt"));
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(Files.readString(workspace.resolve("out.txt"))).isEqualTo("data\n");
    }

    @Test
    void aPolicyFileIsTheStartingPoint(@TempDir Path dir) throws IOException {
        Path policy = dir.resolve("policy.json");
        Files.writeString(policy, "{\"preset\": \"permissive\"}");
        Cli.Outcome r = Cli.run("run", "--backend", "none", "--policy", policy.toString(), "--", "echo", "from file");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo("from file\n");
    }

    private static List<String> fieldNames(JsonNode j) {
        List<String> names = new java.util.ArrayList<>();
        j.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
