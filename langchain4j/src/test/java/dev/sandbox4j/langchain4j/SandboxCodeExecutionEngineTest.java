package dev.sandbox4j.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandbox4j.Command;
import dev.sandbox4j.DataSize;
import dev.sandbox4j.InvalidInputException;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.testkit.BackendRequirement;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@link SandboxCodeExecutionEngine} returns, with real code in a real bubblewrap sandbox. */
class SandboxCodeExecutionEngineTest {
    private static Sandbox shared;

    @BeforeAll
    static void openSandbox() {
        BackendRequirement.assumeAvailable("bubblewrap");
        shared = Sandbox.builder().backend("bubblewrap").policy(IsolationPolicy.strict()).build();
    }

    @AfterAll
    static void closeSandbox() {
        if (shared != null) {
            shared.close();
        }
    }

    @Test
    void successReturnsStdout() {
        assertThat(SandboxCodeExecutionEngine.of(shared).execute("print(6 * 7)")).isEqualTo("42\n");
    }

    @Test
    void binaryOutputIsSummarised() {
        assertThat(SandboxCodeExecutionEngine.of(shared).execute("import sys\nsys.stdout.buffer.write(bytes(range(256)))"))
                .startsWith("256 bytes of binary output; the first 64 bytes:\n"
                        + "00000000  00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f  |................|\n")
                .doesNotContain("\uFFFD");
    }

    @Test
    void successWithoutOutputSaysSo() {
        assertThat(SandboxCodeExecutionEngine.of(shared).execute("x = 1")).isEqualTo("(the code ran successfully and printed nothing)");
    }

    @Test
    void aNonZeroExitReturnsTheExitCodeStderrAndStdout() {
        String r = SandboxCodeExecutionEngine.of(shared).execute(
                "import sys\nprint('half done')\nprint('bad input', file=sys.stderr)\nsys.exit(3)");
        assertThat(r).isEqualTo("the code failed with exit code 3\nstderr:\nbad input\nstdout:\nhalf done");
    }

    @Test
    void anExceptionShowsItsTraceback() {
        String r = SandboxCodeExecutionEngine.of(shared).execute("1 / 0");
        assertThat(r).startsWith("the code failed with exit code 1\nstderr:\nTraceback (most recent call last):")
                .contains("ZeroDivisionError: division by zero");
    }

    @Test
    void aTimeoutKillsTheCodeAndSaysSo() {
        SandboxCodeExecutionEngine engine = SandboxCodeExecutionEngine.builder().sandbox(shared)
                .timeout(Duration.ofSeconds(1)).build();
        String r = engine.execute("import subprocess, time\nprint('started', flush=True)\n"
                + "subprocess.Popen(['sleep', '300'])\ntime.sleep(300)");
        assertThat(r).startsWith("the code failed: it timed out\n"
                + "note: timed out after 1s; the command and every process it started were killed\n")
                .contains("stdout:\nstarted");
    }

    @Test
    void anOutputFloodIsCutAtTheCapWithANote() {
        SandboxCodeExecutionEngine engine = SandboxCodeExecutionEngine.builder().sandbox(shared)
                .maxOutput(DataSize.ofKiB(16)).build();
        String r = engine.execute("import sys\nsys.stdout.write('x' * 50_000_000)");
        assertThat(r).startsWith("x".repeat(16 * 1024) + "\n")
                .endsWith("note: stdout passed the cap of 16384 bytes; the sandbox dropped the rest")
                .hasSizeLessThan(16 * 1024 + 200);
    }

    @Test
    void codeReadingAHostFileFindsNothing(@TempDir Path hostDir) throws Exception {
        Path secret = hostDir.resolve("secret.txt");
        Files.writeString(secret, "HOST-SECRET");
        assertThat(Files.readString(secret)).isEqualTo("HOST-SECRET");

        String r = SandboxCodeExecutionEngine.of(shared).execute("print(open('" + secret + "').read())");

        assertThat(r).startsWith("the code failed with exit code 1\nstderr:\nTraceback")
                .contains("FileNotFoundError: [Errno 2] No such file or directory: '" + secret + "'")
                .doesNotContain("HOST-SECRET");
    }

    @Test
    void otherInterpretersRunWithTheirOwnFileName() {
        SandboxCodeExecutionEngine sh = SandboxCodeExecutionEngine.builder().sandbox(shared)
                .interpreter("sh").fileName("script.sh").build();
        assertThat(sh.execute("echo \"$0\"; id -u")).matches("/workspace/\\.sandbox4j-run-[0-9a-f-]{36}/script\\.sh\n65534\n");
        if (shared.exec(Command.shell("command -v node")).succeeded()) {
            SandboxCodeExecutionEngine node = SandboxCodeExecutionEngine.builder().sandbox(shared)
                    .interpreter("node").fileName("main.js").build();
            assertThat(node.execute("console.log(6 * 7)")).isEqualTo("42\n");
        }
    }

    @Test
    void aMissingInterpreterIsAFailureNotAnException() {
        SandboxCodeExecutionEngine engine = SandboxCodeExecutionEngine.builder().sandbox(shared)
                .interpreter("no-such-interpreter").build();
        assertThat(engine.execute("print(1)")).satisfiesAnyOf(
                r -> assertThat(r).startsWith("the code failed with exit code 127").contains("no-such-interpreter"),
                r -> assertThat(r).startsWith("the code could not be run: ").contains("no-such-interpreter"));
    }

    @Test
    void theCodeFileIsRemovedAfterTheRunButFilesTheCodeWroteStay() {
        SandboxCodeExecutionEngine engine = SandboxCodeExecutionEngine.of(shared);
        assertThat(engine.execute("open('result.txt', 'w').write('kept')")).startsWith("(the code ran successfully");
        assertThat(shared.files().read("result.txt")).asString().isEqualTo("kept");
        assertThat(shared.files().list(shared.workspacePath()))
                .noneMatch(e -> e.name().startsWith(".sandbox4j-run-"));
        shared.files().delete("result.txt");
    }

    @Test
    void severalThreadsMayExecuteAtOnceInTheSharedSandbox() throws Exception {
        SandboxCodeExecutionEngine engine = SandboxCodeExecutionEngine.of(shared);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Callable<String>> jobs = new java.util.ArrayList<>();
            for (int i = 0; i < 8; i++) {
                int n = i;
                jobs.add(() -> engine.execute("import time\ntime.sleep(0.2)\nprint(" + n + " * 10)"));
            }
            List<Future<String>> results = pool.invokeAll(jobs, 120, TimeUnit.SECONDS);
            for (int i = 0; i < 8; i++) {
                assertThat(results.get(i).get()).isEqualTo((i * 10) + "\n");
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void freshSandboxesShareNothingBetweenExecutions() {
        SandboxCodeExecutionEngine engine = SandboxCodeExecutionEngine.builder()
                .freshSandboxes(Sandbox.builder().backend("bubblewrap"), IsolationPolicy.strict())
                .build();
        assertThat(engine.execute("open('/workspace/left.txt', 'w').write('x')\nprint('wrote')")).isEqualTo("wrote\n");
        assertThat(engine.execute("import os\nprint(os.path.exists('/workspace/left.txt'))")).isEqualTo("False\n");
    }

    @Test
    void badOptionsAreRefusedAtBuildTime() {
        assertThatThrownBy(() -> SandboxCodeExecutionEngine.builder().build())
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("no sandbox source");
        assertThatThrownBy(() -> SandboxCodeExecutionEngine.builder().fileName("../x.py"))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("'../x.py' is not a plain file name");
        assertThatThrownBy(() -> SandboxCodeExecutionEngine.builder().timeout(Duration.ZERO))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("must be a positive duration");
        assertThatThrownBy(() -> SandboxCodeExecutionEngine.builder().sandbox(shared)
                .freshSandboxes(Sandbox.builder(), IsolationPolicy.strict()))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("already set");
        assertThatThrownBy(() -> SandboxCodeExecutionEngine.builder().interpreter("python3", "bad\0arg"))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("NUL");
    }

    @Test
    void aClosedSandboxIsReportedAsText() {
        Sandbox s = Sandbox.builder().backend("bubblewrap").policy(IsolationPolicy.strict()).build();
        s.close();
        assertThat(SandboxCodeExecutionEngine.of(s).execute("print(1)"))
                .startsWith("refused: ").contains("is closed");
    }
}
