package dev.sandbox4j.langchain4j.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.Content;
import dev.langchain4j.data.message.ImageContent;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.invocation.InvocationContext;
import dev.langchain4j.service.tool.ToolExecutionResult;
import dev.langchain4j.service.tool.ToolExecutor;
import dev.sandbox4j.SandboxException;
import dev.sandbox4j.langchain4j.CellResult;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The {@code run_python} tool's executor: parses {@code {"code": "..."}}, runs the cell and returns
 * LangChain4j content (the text, then each image) with the error flag set when the cell failed (an
 * exception, a timeout, a crash, bad arguments, or no sandbox to run in) and the facts as attributes:
 * {@code errorType}, {@code timedOut}, {@code stateLost}, {@code images}, {@code durationMillis}.
 * Thread-safe.
 */
public final class RunPythonExecutor implements ToolExecutor {
    private static final ObjectMapper JSON = new ObjectMapper();

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
            JsonNode args = JSON.readTree(request.arguments() == null ? "" : request.arguments());
            JsonNode c = args == null ? null : args.get("code");
            if (c == null || !c.isTextual() || c.asText().isBlank()) {
                return failed("refused: " + request.name() + " takes {\"code\": \"<python source>\"}, e.g. {\"code\": "
                        + "\"print(6 * 7)\"}; the arguments given were " + shorten(request.arguments()));
            }
            code = c.asText();
        } catch (IOException e) {
            return failed("refused: " + request.name() + " takes a JSON object {\"code\": \"<python source>\"}; the "
                    + "arguments given are not JSON: " + shorten(request.arguments()));
        }
        return contents(code, runner);
    }

    /** Runs {@code code} and turns the result (or the reason it could not run) into tool content. */
    public static ToolExecutionResult contents(String code, Function<String, CellResult> runner) {
        CellResult r;
        try {
            r = runner.apply(code);
        } catch (SandboxException e) {
            return failed("the code could not be run: " + e.getMessage());
        }
        List<Content> contents = new ArrayList<>();
        contents.add(TextContent.from(r.text()));
        r.images().forEach(image -> contents.add(ImageContent.from(image)));
        Map<String, Object> attributes = new LinkedHashMap<>();
        r.error().ifPresent(e -> attributes.put("errorType", e.type()));
        attributes.put("timedOut", r.timedOut());
        attributes.put("stateLost", r.stateLost());
        attributes.put("images", r.outputs().size());
        attributes.put("durationMillis", r.duration().toMillis());
        return ToolExecutionResult.builder().isError(!r.succeeded()).resultContents(contents).attributes(attributes)
                .build();
    }

    private static ToolExecutionResult failed(String text) {
        return ToolExecutionResult.builder().isError(true).resultContents(List.of(TextContent.from(text))).build();
    }

    private static String shorten(String s) {
        if (s == null) {
            return "(none)";
        }
        return s.length() <= 200 ? s : s.substring(0, 200) + "... (" + s.length() + " characters)";
    }
}
