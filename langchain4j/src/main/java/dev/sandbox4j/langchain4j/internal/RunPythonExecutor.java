package dev.sandbox4j.langchain4j.internal;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.Content;
import dev.langchain4j.data.message.ImageContent;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.invocation.InvocationContext;
import dev.langchain4j.service.tool.ToolExecutionResult;
import dev.langchain4j.service.tool.ToolExecutor;
import dev.sandbox4j.SandboxException;
import dev.sandbox4j.langchain4j.CellResult;
import dev.sandbox4j.langchain4j.ToolResultAttributes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The {@code run_python} tool's executor: checks {@code {"code": "..."}}, runs the cell and returns
 * LangChain4j content (the text, then each image). A failed call is marked as an error, with the
 * attributes of {@link ToolResultAttributes} where they apply ({@code failure}, {@code timedOut},
 * {@code durationMillis}) and the interpreter's own: {@code errorType} (the exception's class name),
 * {@code stateLost}, {@code images}. {@code failure} is {@code "exception"} (the cell raised),
 * {@code "timeout"}, {@code "killed"} (the Python process ended: a crash, the memory limit),
 * {@code "sandbox-closed"}, {@code "arguments"}, {@code "setup"} (no sandbox could be made) or
 * {@code "error"} (python could not be started). Never throws for what the model sent. Thread-safe.
 */
public final class RunPythonExecutor implements ToolExecutor {
    private static final String NAME = "run_python";

    private final Function<String, CellResult> runner;

    public RunPythonExecutor(Function<String, CellResult> runner) {
        this.runner = runner;
    }

    @Override
    public String execute(ToolExecutionRequest request, Object memoryId) {
        return executeWithContext(request, null).resultText();
    }

    @Override
    public ToolExecutionResult executeWithContext(ToolExecutionRequest request, InvocationContext context) {
        String code;
        try {
            code = ToolArguments.parse(NAME, List.of("code"), request.arguments()).get("code");
        } catch (ToolArguments.Invalid e) {
            return failed("arguments", "refused: " + e.getMessage());
        }
        return contents(code, runner);
    }

    /** Runs {@code code} and turns the result (or the reason it could not run) into tool content. */
    public static ToolExecutionResult contents(String code, Function<String, CellResult> runner) {
        if (code == null || code.isBlank()) {
            return failed("arguments", "refused: " + NAME + ": the arguments must be a JSON object {\"code\": \"...\"};"
                    + " \"code\" is empty");
        }
        CellResult r;
        try {
            r = runner.apply(code);
        } catch (SandboxSetupException e) {
            return failed("setup", "error: " + e.getMessage());
        } catch (SandboxException e) {
            return failed("error", "the code could not be run: " + e.getMessage());
        }
        List<Content> contents = new ArrayList<>();
        contents.add(TextContent.from(r.text()));
        r.images().forEach(image -> contents.add(ImageContent.from(image)));
        Map<String, Object> attributes = new LinkedHashMap<>();
        r.error().ifPresent(e -> {
            attributes.put(ToolResultAttributes.FAILURE, failure(r, e.type()));
            attributes.put("errorType", e.type());
        });
        attributes.put(ToolResultAttributes.TIMED_OUT, r.timedOut());
        attributes.put(ToolResultAttributes.DURATION_MILLIS, r.duration().toMillis());
        attributes.put("stateLost", r.stateLost());
        attributes.put("images", r.outputs().size());
        return ToolExecutionResult.builder().isError(!r.succeeded()).resultContents(contents).attributes(attributes)
                .build();
    }

    private static String failure(CellResult r, String type) {
        if (r.timedOut()) {
            return "timeout";
        }
        return switch (type) {
            case "InterpreterExited" -> "killed";
            case "Closed" -> "sandbox-closed";
            default -> "exception";
        };
    }

    private static ToolExecutionResult failed(String failure, String text) {
        return ToolExecutionResult.builder().isError(true).resultContents(List.of(TextContent.from(text)))
                .attributes(Map.of(ToolResultAttributes.FAILURE, failure)).build();
    }
}
