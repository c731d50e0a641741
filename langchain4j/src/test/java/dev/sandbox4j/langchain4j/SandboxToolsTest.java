package dev.sandbox4j.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandbox4j.DataSize;
import dev.sandbox4j.InvalidInputException;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.testkit.BackendRequirement;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Every {@link SandboxTools} result is bounded text that says what happened, in a real bubblewrap sandbox. */
class SandboxToolsTest {
    private Sandbox sandbox;
    private SandboxTools tools;

    @BeforeEach
    void open() {
        BackendRequirement.assumeAvailable("bubblewrap");
        sandbox = Sandbox.builder().backend("bubblewrap").policy(IsolationPolicy.strict()).build();
        tools = new SandboxTools(sandbox, ToolLimits.defaults().withMaxResultChars(600)
                .withCommandTimeout(Duration.ofSeconds(2)).withMaxFileRead(DataSize.ofKiB(64)));
    }

    @AfterEach
    void close() {
        if (sandbox != null) {
            sandbox.close();
        }
    }

    @Test
    void aCommandsExitCodeAndBothStreamsAreReported() {
        assertThat(tools.runShellCommand("echo out; echo err >&2; exit 4"))
                .isEqualTo("exit code: 4\nstdout:\nout\nstderr:\nerr");
        assertThat(tools.runShellCommand("true")).isEqualTo("exit code: 0\nstdout: (empty)");
    }

    @Test
    void aFloodIsCappedInsideTheSandboxAndCutToTheResultLimitKeepingStartAndEnd() {
        String r = tools.runShellCommand("seq 1 1000000; seq 1 500000 >&2");
        assertThat(r).hasSizeLessThanOrEqualTo(600)
                .startsWith("exit code: 0\n"
                        + "note: stdout passed the cap of 2400 bytes; the sandbox dropped the rest\n"
                        + "note: stderr passed the cap of 2400 bytes; the sandbox dropped the rest\n"
                        + "stdout:\n1\n2\n3\n")
                .containsPattern("\\[\\.\\.\\. \\d+ characters cut here \\.\\.\\.\\]")
                .contains("\nstderr:\n1\n2\n");
    }

    @Test
    void aTimeoutIsReportedWithWhatWasPrintedBefore() {
        assertThat(tools.runShellCommand("echo begin; sleep 60 & sleep 60"))
                .startsWith("exit code: ")
                .contains("note: timed out after 2s; the command and every process it started were killed\n")
                .endsWith("stdout:\nbegin");
    }

    @Test
    void anUnknownCommandIsExplained() {
        assertThat(tools.runShellCommand("no-such-command-here"))
                .startsWith("exit code: 127\nnote: exit code 127 means the command was not found inside the sandbox\n")
                .contains("no-such-command-here: not found");
    }

    @Test
    void theNetworkOfAStrictSandboxIsUnreachableAndTheModelSeesWhy() {
        assertThat(tools.runShellCommand("python3 -c \"import socket; socket.create_connection(('192.0.2.1', 80), timeout=5)\""))
                .startsWith("exit code: 1\n").contains("OSError: [Errno 101] Network is unreachable");
    }

    @Test
    void refusedCallsAreExplainedNotThrown() {
        assertThat(tools.runShellCommand(" ")).startsWith("refused: run_shell_command: no command given");
        assertThat(tools.runShellCommand("echo a\0b")).startsWith("refused: ").contains("NUL byte");
        assertThat(tools.readFile("/etc/passwd")).startsWith("refused: ").contains("outside the workspace /workspace");
        assertThat(tools.writeFile("a/../../x", "y")).startsWith("refused: ").contains("'..' segment");
        assertThat(tools.writeFile("x.txt", null)).startsWith("refused: write_file: no content given");
        assertThat(tools.readFile("missing.txt")).startsWith("refused: ").contains("no such file or directory");
        assertThat(tools.listDirectory("/")).startsWith("refused: ").contains("outside the workspace");
        assertThat(tools.readFile(null)).startsWith("refused: no path given");
    }

    @Test
    void aSymlinkMadeInsideCannotBeUsedToReadOutside() {
        assertThat(tools.runShellCommand("ln -s /etc/hostname link && ln -s / root")).startsWith("exit code: 0");
        assertThat(tools.readFile("link")).startsWith("refused: ").contains("symlink");
        assertThat(tools.listDirectory("root/etc")).startsWith("refused: ").contains("symlink");
        assertThat(tools.writeFile("root/tmp/x", "y")).startsWith("refused: ").contains("symlink");
    }

    @Test
    void filesRoundTripAndTheListingDescribesEachEntry() {
        assertThat(tools.writeFile("./src/main.py", "print('hi')\n")).isEqualTo("wrote 12 bytes to /workspace/src/main.py");
        assertThat(tools.readFile("/workspace/src/main.py")).isEqualTo("print('hi')\n");
        assertThat(tools.runShellCommand("python3 src/main.py; mkdir -p data; ln -s src/main.py link"))
                .isEqualTo("exit code: 0\nstdout:\nhi");
        assertThat(tools.listDirectory(".")).isEqualTo("/workspace: 3 entries\ndata/\nlink@  (symlink)\nsrc/");
        assertThat(tools.listDirectory("src")).isEqualTo("/workspace/src: 1 entry\nmain.py  (12 bytes)");
        assertThat(tools.listDirectory("data")).isEqualTo("(the directory /workspace/data is empty)");
        assertThat(tools.writeFile("empty.txt", "")).isEqualTo("wrote 0 bytes to /workspace/empty.txt");
        assertThat(tools.readFile("empty.txt")).isEqualTo("(the file empty.txt is empty)");
    }

    @Test
    void aLongFileShowsItsStartAndEndAndATooLargeOneIsRefusedWithAHint() {
        StringBuilder text = new StringBuilder();
        for (int i = 1; i <= 2000; i++) {
            text.append("line ").append(i).append('\n');
        }
        sandbox.files().write("long.txt", text.toString().getBytes(StandardCharsets.UTF_8));
        assertThat(tools.readFile("long.txt")).hasSizeLessThanOrEqualTo(600)
                .startsWith("note: the file has " + text.length() + " characters; only its start and end are shown\nline 1\n")
                .contains("characters cut here").endsWith("line 2000\n");

        sandbox.files().write("big.bin", new byte[65 * 1024]);
        assertThat(tools.readFile("big.bin")).isEqualTo("refused: read_file 'big.bin': the file is 66560 bytes, more than"
                + " the 65536 bytes read_file reads; read a part of it with run_shell_command, for example head -c 4000"
                + " big.bin or sed -n '1,100p' big.bin");
    }

    @Test
    void aBinaryFileIsNotDumpedIntoTheConversation() {
        sandbox.files().write("blob", new byte[] {'P', 'K', 3, 4, 0, 0, 1});
        assertThat(tools.readFile("blob")).isEqualTo("the file blob is binary (7 bytes); inspect it with run_shell_command,"
                + " for example od -c blob | head");
    }

    @Test
    void binaryOutputIsSummarisedNotSentAsReplacementCharacters() {
        String r = tools.runShellCommand("printf '\\177ELF\\002\\001\\001\\000'; head -c 300 /dev/zero; echo text >&2");
        assertThat(r).isEqualTo("exit code: 0\nstdout:\n308 bytes of binary output; the first 64 bytes:\n"
                + "00000000  7f 45 4c 46 02 01 01 00 00 00 00 00 00 00 00 00  |.ELF............|\n"
                + "00000010  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00  |................|\n"
                + "00000020  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00  |................|\n"
                + "00000030  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00  |................|\n"
                + "(write it to a file and inspect it with od, xxd or a script to see more)\nstderr:\ntext");
    }

    @Test
    void aClosedSandboxIsAnErrorText() {
        sandbox.close();
        assertThat(tools.runShellCommand("true")).startsWith("error: ").contains("is closed");
        assertThat(tools.listDirectory(".")).startsWith("refused: ").contains("is closed");
    }

    @Test
    void limitsAreChecked() {
        assertThatThrownBy(() -> ToolLimits.defaults().withMaxResultChars(100))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("100 is below 512");
        assertThatThrownBy(() -> ToolLimits.defaults().withCommandTimeout(Duration.ofSeconds(-1)))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("must be positive");
        assertThatThrownBy(() -> new SandboxTools(null)).isInstanceOf(InvalidInputException.class);
    }
}
