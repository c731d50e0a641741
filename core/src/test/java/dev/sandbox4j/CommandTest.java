package dev.sandbox4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CommandTest {

    @Test
    void anEmptyArgvIsRejected() {
        assertThatThrownBy(() -> Command.of())
                .isInstanceOf(InvalidInputException.class)
                .hasMessage("Command: no program given; use Command.of(\"program\", \"arg\"...)");
        assertThatThrownBy(() -> Command.of(List.of()))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("no program given");
        assertThatThrownBy(() -> new Command(null, Map.of(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty()))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("no program given");
        assertThatThrownBy(() -> Command.of("", "x"))
                .isInstanceOf(InvalidInputException.class)
                .hasMessage("Command: the program name is empty");
    }

    @Test
    void nulBytesInArgumentsAreRejected() {
        assertThatThrownBy(() -> Command.of("echo", "a\0b"))
                .isInstanceOf(InvalidInputException.class)
                .hasMessage("Command argument 1: 'a?b' contains a NUL byte");
        assertThatThrownBy(() -> Command.of("ec\0ho"))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("'ec?ho' contains a NUL byte");
        assertThatThrownBy(() -> Command.shell("echo \0"))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("NUL byte");
    }

    @ParameterizedTest
    @ValueSource(strings = {"relative", "./x", "/a/../b", "/a//b", "/a/./b", "/wo\0rk"})
    void badWorkingDirectoriesAreRejected(String dir) {
        assertThatThrownBy(() -> Command.of("pwd").workdir(dir))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageStartingWith("Command.workdir: '" + dir.replace('\0', '?') + "'");
    }

    @Test
    void zeroAndNegativeTimeoutsAreRejected() {
        assertThatThrownBy(() -> Command.of("true").timeout(Duration.ZERO))
                .isInstanceOf(InvalidInputException.class)
                .hasMessage("Command.timeout: PT0S must be positive (e.g. Duration.ofSeconds(5))");
        assertThatThrownBy(() -> Command.of("true").timeout(Duration.ofMillis(-1)))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageStartingWith("Command.timeout: PT-0.001S must be positive");
    }

    @Test
    void badEnvironmentAdditionsAreRejected() {
        assertThatThrownBy(() -> Command.of("env").env("9LIVES", "x"))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageStartingWith("Command.env: '9LIVES' is not a valid environment variable name");
        assertThatThrownBy(() -> Command.of("env").env("A=B", "x"))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageStartingWith("Command.env: 'A=B'");
        assertThatThrownBy(() -> Command.of("env").env("FOO", "x\0y"))
                .isInstanceOf(InvalidInputException.class)
                .hasMessage("Command.env.FOO: 'x?y' contains a NUL byte");
    }

    @Test
    void copiesKeepEveryFieldAndAreIndependent() {
        byte[] input = "hello".getBytes(StandardCharsets.UTF_8);
        Command c = Command.of("cat").env("A", "1").workdir("/workspace/sub/").stdin(input)
                .timeout(Duration.ofSeconds(5)).maxOutput(DataSize.ofKiB(64));
        input[0] = 'J';
        assertThat(c.argv()).containsExactly("cat");
        assertThat(c.env()).isEqualTo(Map.of("A", "1"));
        assertThat(c.workdir()).contains("/workspace/sub");
        assertThat(new String(c.stdin().orElseThrow(), StandardCharsets.UTF_8)).isEqualTo("hello");
        c.stdin().orElseThrow()[0] = 'X';
        assertThat(new String(c.stdin().orElseThrow(), StandardCharsets.UTF_8)).isEqualTo("hello");
        assertThat(c.timeout()).contains(Duration.ofSeconds(5));
        assertThat(c.maxOutput()).contains(DataSize.ofKiB(64));
        assertThat(c.env("B", "2").env()).containsEntry("A", "1").containsEntry("B", "2");
        assertThat(c.env()).doesNotContainKey("B");
    }

    @Test
    void shellRunsTheScriptThroughBinSh() {
        Command c = Command.shell("echo $HOME; exit 3");
        assertThat(c.argv()).containsExactly("/bin/sh", "-c", "echo $HOME; exit 3");
        assertThat(c.stdin()).isEmpty();
        assertThat(c.timeout()).isEmpty();
        assertThat(c.toString()).isEqualTo("Command[/bin/sh, -c, echo $HOME; exit 3]");
    }
}
