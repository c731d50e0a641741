package dev.sandbox4j.langchain4j.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.service.tool.ToolExecutionResult;
import dev.sandbox4j.SandboxException;
import dev.sandbox4j.langchain4j.CellResult;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** What {@code run_python}'s executor makes of bad arguments and of a sandbox that cannot run the cell. */
class RunPythonExecutorTest {
    private static final Function<String, CellResult> NEVER = code -> {
        throw new AssertionError("the cell must not run: " + code);
    };

    private static ToolExecutionResult call(String arguments, Function<String, CellResult> runner) {
        ToolExecutionRequest request = ToolExecutionRequest.builder().id("1").name("run_python").arguments(arguments).build();
        return new RunPythonExecutor(runner).executeWithContext(request, null);
    }

    @Test
    void wrongArgumentsNameTheToolAndTheExpectedShape() {
        ToolExecutionResult wrongKey = call("{\"command\": \"ls\"}", NEVER);
        assertThat(wrongKey.isError()).isTrue();
        assertThat(wrongKey.attributes()).containsEntry("failure", "arguments");
        assertThat(wrongKey.resultText()).isEqualTo("refused: run_python: the arguments must be a JSON object "
                + "{\"code\": \"...\"}; \"code\" is missing (sent: {\"command\": \"ls\"})");

        assertThat(call("print(1)", NEVER).resultText()).startsWith("refused: run_python: the arguments must be a JSON object")
                .contains("not valid JSON: print(1)");
        assertThat(call("{\"code\": 42}", NEVER).resultText()).endsWith("\"code\" is a number, not a string");
        assertThat(call("{\"code\": \"  \"}", NEVER).resultText()).endsWith("\"code\" is empty");
    }

    @Test
    void aSandboxThatCannotRunTheCellIsAnErrorResultNotAnException() {
        ToolExecutionResult r = call("{\"code\": \"1\"}", code -> {
            throw new SandboxException("sandbox x is closed");
        });
        assertThat(r.isError()).isTrue();
        assertThat(r.attributes()).containsEntry("failure", "error");
        assertThat(r.resultText()).isEqualTo("the code could not be run: sandbox x is closed");
    }
}
