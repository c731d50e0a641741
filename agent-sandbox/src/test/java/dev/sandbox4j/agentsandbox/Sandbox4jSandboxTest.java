package dev.sandbox4j.agentsandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandbox4j.FileAccessException;
import dev.sandbox4j.InvalidInputException;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.testkit.BackendRequirement;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springaicommunity.sandbox.ExecResult;
import org.springaicommunity.sandbox.ExecSpec;
import org.springaicommunity.sandbox.FileEntry;
import org.springaicommunity.sandbox.FileSpec;
import org.springaicommunity.sandbox.FileType;
import org.springaicommunity.sandbox.SandboxException;
import org.springaicommunity.sandbox.TimeoutException;

/**
 * What the adapter adds beyond the TCK, on a real {@code namespaces} sandbox: the mapping of specs,
 * failures and files, interactive processes, and who closes what.
 */
class Sandbox4jSandboxTest {
    private static final String BACKEND = "namespaces";
    private Sandbox4jSandbox sandbox;

    @BeforeAll
    static void available() {
        BackendRequirement.assumeAvailable(BACKEND);
    }

    @AfterEach
    void close() {
        if (sandbox != null) {
            sandbox.close();
            sandbox.sandbox().close();
        }
    }

    private Sandbox4jSandbox open() {
        sandbox = Sandbox4jSandbox.builder().sandbox(dev.sandbox4j.Sandbox.builder().backend(BACKEND)).build();
        return sandbox;
    }

    private static ExecSpec shell(String script) {
        return ExecSpec.builder().shellCommand(script).timeout(Duration.ofSeconds(30)).build();
    }

    @Test
    void execMapsExitCodesOutputAndEnvironmentWithoutTheJvmsEnvironment() {
        open();
        ExecResult r = sandbox.exec(ExecSpec.builder().shellCommand("echo out; echo err >&2; echo \"$A\"; exit 3")
                .env("A", "from spec").build());
        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(r.failed()).isTrue();
        assertThat(r.stdout()).isEqualTo("out\nfrom spec\n");
        assertThat(r.stderr()).isEqualTo("err\n");
        assertThat(r.duration()).isPositive();
        // surefire sets SANDBOX4J_TEST=1 in this JVM's environment: it must not reach the sandbox
        assertThat(System.getenv("SANDBOX4J_TEST")).isEqualTo("1");
        assertThat(sandbox.exec(ExecSpec.of("printenv", "SANDBOX4J_TEST")).exitCode()).isEqualTo(1);
        assertThat(sandbox.exec(ExecSpec.of("sandbox4j-no-such-program")).exitCode()).isEqualTo(127);
    }

    @Test
    void customizersRunInOrderAndTheShellCanBeChanged() {
        sandbox = Sandbox4jSandbox.builder().sandbox(dev.sandbox4j.Sandbox.builder().backend(BACKEND))
                .customizer(s -> s.toBuilder().env("STEP", "one").build())
                .customizer(s -> s.toBuilder().env("STEP", s.env().get("STEP") + "-two").build())
                .shell("/bin/sh", "-c", "echo \"shell:$0:$STEP\"", "custom")
                .build();
        ExecResult r = sandbox.exec(ExecSpec.builder().shellCommand("ignored").build());
        assertThat(r.stdout()).isEqualTo("shell:custom:one-two\n");
        assertThatThrownBy(() -> Sandbox4jSandbox.builder().shell()).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void withoutASpecTimeoutThePolicysWallTimeAppliesAndEndsAsTimeoutException() {
        IsolationPolicy policy = IsolationPolicy.strict().toBuilder().limits(l -> l.wallTime(Duration.ofSeconds(1))).build();
        sandbox = Sandbox4jSandbox.builder().sandbox(dev.sandbox4j.Sandbox.builder().backend(BACKEND).policy(policy)).build();
        assertThatThrownBy(() -> sandbox.exec(ExecSpec.of("sleep", "30"))).isInstanceOf(SandboxException.class)
                .cause().isInstanceOf(TimeoutException.class)
                .satisfies(t -> assertThat(((TimeoutException) t).getTimeout()).isEqualTo(Duration.ofSeconds(1)));
        assertThat(sandbox.exec(ExecSpec.of("true")).success()).as("the sandbox works after a timeout").isTrue();
    }

    @Test
    void startInteractiveGivesTheCommandsStreamsAndKillsOnDestroy() throws Exception {
        open();
        Process cat = sandbox.startInteractive(ExecSpec.of("cat"));
        try (OutputStream in = cat.getOutputStream()) {
            in.write("hello\n".getBytes(StandardCharsets.UTF_8));
        }
        assertThat(new String(cat.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("hello\n");
        assertThat(cat.waitFor()).isZero();
        assertThat(cat.exitValue()).isZero();
        Process sleep = sandbox.startInteractive(ExecSpec.of("sleep", "300"));
        assertThat(sleep.isAlive()).isTrue();
        assertThatThrownBy(sleep::exitValue).isInstanceOf(IllegalThreadStateException.class);
        sleep.destroy();
        assertThat(sleep.waitFor(30, TimeUnit.SECONDS)).as("destroy() ended the command").isTrue();
        assertThat(sleep.isAlive()).isFalse();
    }

    @Test
    void filesListToADepthWithWorkspaceRelativePathsAndTimes() {
        open();
        Instant before = Instant.now().minus(1, ChronoUnit.HOURS);
        sandbox.files().setup(List.of(FileSpec.of("a/b.txt", "b"), FileSpec.of("a/c/d.txt", "dd"), FileSpec.of("top.txt", "t")));
        List<FileEntry> all = sandbox.files().list(".", 3);
        assertThat(all).extracting(FileEntry::path).containsExactly("a", "a/b.txt", "a/c", "a/c/d.txt", "top.txt");
        assertThat(all).extracting(FileEntry::type)
                .containsExactly(FileType.DIRECTORY, FileType.FILE, FileType.DIRECTORY, FileType.FILE, FileType.FILE);
        assertThat(all.get(3).size()).isEqualTo(2);
        assertThat(all).allSatisfy(e -> assertThat(e.modifiedTime()).isAfter(before));
        assertThat(sandbox.files().list(sandbox.workDir() + "/a")).extracting(FileEntry::path).containsExactly("a/b.txt", "a/c");
        assertThat(sandbox.files().list("./a/c", 1)).extracting(FileEntry::name).containsExactly("d.txt");
        assertThat(sandbox.files().list("a", 0)).isEmpty();
        assertThat(sandbox.files().read("/workspace/a/c/d.txt")).isEqualTo("dd");
        assertThat(sandbox.files().and()).isSameAs(sandbox);
    }

    @Test
    void deleteWithoutRecursionRefusesANonEmptyDirectoryAndKeepsIt() {
        open();
        sandbox.files().create("full/keep.txt", "k");
        assertThatThrownBy(() -> sandbox.files().delete("full")).isInstanceOf(SandboxException.class)
                .hasMessageContaining("not empty").cause().isInstanceOf(FileAccessException.class)
                .satisfies(c -> assertThat(((FileAccessException) c).reason()).isEqualTo(FileAccessException.Reason.NOT_EMPTY));
        assertThat(sandbox.files().read("full/keep.txt")).isEqualTo("k");
        sandbox.files().delete("full", true);
        assertThat(sandbox.files().exists("full")).isFalse();
    }

    @Test
    void filesRefuseEscapesWithTheirReason() {
        open();
        assertThatThrownBy(() -> sandbox.files().read("../etc/passwd")).isInstanceOf(SandboxException.class)
                .hasMessageStartingWith("Path refused: ../etc/passwd").cause()
                .satisfies(c -> assertThat(((FileAccessException) c).reason()).isEqualTo(FileAccessException.Reason.REFUSED));
        assertThat(sandbox.exec(shell("ln -s /etc etc-link")).success()).isTrue();
        assertThatThrownBy(() -> sandbox.files().read("etc-link/passwd")).isInstanceOf(SandboxException.class)
                .hasMessageStartingWith("Path refused");
        assertThatThrownBy(() -> sandbox.files().create("x/../../y", "y")).isInstanceOf(SandboxException.class)
                .hasMessageStartingWith("Path refused");
        assertThatThrownBy(() -> sandbox.files().read("missing.txt")).hasMessageStartingWith("Path does not exist: missing.txt");
        sandbox.files().createDirectory("dir");
        assertThatThrownBy(() -> sandbox.files().read("dir")).hasMessageStartingWith("Path is a directory: dir");
    }

    @Test
    void closingTheAdapterCanLeaveTheSandbox4jSandboxOpen() {
        dev.sandbox4j.Sandbox inner = dev.sandbox4j.Sandbox.builder().backend(BACKEND).build();
        try {
            Sandbox4jSandbox adapter = Sandbox4jSandbox.builder().sandbox(inner).closeSandboxOnClose(false).build();
            assertThat(adapter.shouldCleanupOnClose()).isFalse();
            adapter.close();
            assertThat(adapter.isClosed()).isTrue();
            assertThatThrownBy(() -> adapter.exec(ExecSpec.of("true"))).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(adapter::files).isInstanceOf(IllegalStateException.class);
            assertThat(inner.isClosed()).isFalse();
            assertThat(inner.exec(dev.sandbox4j.Command.of("true")).succeeded()).isTrue();

            Sandbox4jSandbox second = Sandbox4jSandbox.builder().sandbox(inner).build();
            var files = second.files();
            inner.close();
            assertThat(second.isClosed()).as("its sandbox4j sandbox was closed by its owner").isTrue();
            assertThatThrownBy(() -> files.exists("x")).isInstanceOf(IllegalStateException.class);
        } finally {
            inner.close();
        }
    }

    @Test
    void theBuilderNeedsExactlyOneSandboxAndPassesSandbox4jsRefusalsOn() {
        assertThatThrownBy(() -> Sandbox4jSandbox.builder().build()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("exactly one");
        assertThatThrownBy(() -> Sandbox4jSandbox.builder().sandbox(dev.sandbox4j.Sandbox.builder().backend("no-such-backend"))
                .build()).isInstanceOf(InvalidInputException.class).hasMessageContaining("no-such-backend");
        open();
        assertThatThrownBy(() -> sandbox.exec(ExecSpec.builder().command(List.of()).build()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> sandbox.exec(ExecSpec.of("echo", "nul\0byte"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("NUL");
    }
}
