package dev.sandbox4j.langchain4j;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.invocation.InvocationContext;
import dev.langchain4j.service.tool.ToolExecutionResult;
import dev.langchain4j.service.tool.ToolExecutor;
import dev.sandbox4j.langchain4j.internal.ToolArguments;
import dev.sandbox4j.langchain4j.internal.ToolOutcome;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Runs one of {@link SandboxTools}' tools for LangChain4j: checks the model's arguments, runs the tool and
 * returns a {@link ToolExecutionResult} that is marked as an error when the call failed (a non-zero exit,
 * a timeout, a kill, a refusal, bad arguments, no sandbox), with the attributes of
 * {@link ToolResultAttributes}. Never throws for what the model sent or the sandbox did. Thread-safe.
 */
final class SandboxToolExecutor implements ToolExecutor {
    private final String name;
    private final List<String> params;
    private final Function<Map<String, String>, ToolOutcome> tool;

    SandboxToolExecutor(String name, List<String> params, Function<Map<String, String>, ToolOutcome> tool) {
        this.name = name;
        this.params = List.copyOf(params);
        this.tool = tool;
    }

    @Override
    public ToolExecutionResult executeWithContext(ToolExecutionRequest request, InvocationContext context) {
        ToolOutcome outcome;
        try {
            outcome = tool.apply(ToolArguments.parse(name, params, request.arguments()));
        } catch (ToolArguments.Invalid e) {
            outcome = ToolOutcome.failed("arguments", "refused: " + e.getMessage());
        }
        return ToolExecutionResult.builder()
                .isError(outcome.error())
                .result(outcome.text())
                .resultText(outcome.text())
                .attributes(outcome.attributes())
                .build();
    }

    @Override
    public String execute(ToolExecutionRequest request, Object memoryId) {
        return executeWithContext(request, null).resultText();
    }
}
