package dev.sandbox4j.langchain4j;

import dev.langchain4j.agent.tool.P;
import dev.langchain4j.agent.tool.Tool;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.agent.tool.ToolSpecifications;
import dev.langchain4j.data.message.Content;
import dev.langchain4j.service.tool.ToolExecutor;
import dev.langchain4j.service.tool.ToolProviderResult;
import dev.sandbox4j.InvalidInputException;
import dev.sandbox4j.langchain4j.internal.RunPythonExecutor;
import java.lang.reflect.Method;
import java.util.List;
import java.util.function.Function;

/**
 * The {@link SandboxCodeInterpreter} as a LangChain4j tool, {@code run_python}: give an instance to
 * {@code AiServices.builder(...).tools(...)}. The tool returns LangChain4j content: the cell's
 * {@link CellResult#text() text} first, then every image the cell saved as {@link dev.langchain4j.data.message.ImageContent}, which
 * LangChain4j 1.19 passes on to a multimodal model in the tool result (a text-only model gets the text,
 * which names each image file). What the code does and a sandbox that cannot run it are text for the model,
 * never an exception. A {@code @Tool} method cannot mark its result as failed; {@link #executor()} can.
 *
 * <p>For one interpreter per conversation, use {@code SandboxToolProvider.builder().codeInterpreter(true)}
 * instead: it adds this tool, bound to each conversation's sandbox. Thread-safe (the interpreter serializes
 * the calls).
 *
 * <pre>{@code
 * SandboxCodeInterpreter python = SandboxCodeInterpreter.of(sandbox);
 * Assistant assistant = AiServices.builder(Assistant.class)
 *         .chatModel(model)
 *         .tools(new CodeInterpreterTool(python))
 *         .build();
 * }</pre>
 */
public final class CodeInterpreterTool {
    private static final Method RUN_PYTHON = runPythonMethod();
    private static final ToolSpecification SPEC = ToolSpecifications.toolSpecificationFrom(RUN_PYTHON);

    private final Function<String, CellResult> runner;

    /** The tool over one interpreter; the caller keeps it (and its sandbox) and closes it. */
    public CodeInterpreterTool(SandboxCodeInterpreter interpreter) {
        if (interpreter == null) {
            throw new InvalidInputException("CodeInterpreterTool: no interpreter given; make one with SandboxCodeInterpreter.of(sandbox)");
        }
        this.runner = interpreter::run;
    }

    /** The tool over whatever interpreter {@code runner} picks per call (the provider's per-conversation one). */
    CodeInterpreterTool(Function<String, CellResult> runner) {
        this.runner = runner;
    }

    /** Adds {@code run_python}, running its cells with {@code runner}, to a tool provider's result. */
    static void addTo(ToolProviderResult.Builder result, Function<String, CellResult> runner) {
        result.add(SPEC, new RunPythonExecutor(runner));
    }

    /** The specification of {@code run_python}, as LangChain4j derives it from {@link #runPython}. */
    public static ToolSpecification specification() {
        return SPEC;
    }

    /**
     * An executor of {@code run_python} that marks a failed cell as an error in the tool result (an exception,
     * a timeout, a crash, bad arguments) with attributes ({@code failure}, {@code errorType}, {@code timedOut},
     * {@code stateLost}, {@code images}, {@code durationMillis}), which the plain {@code @Tool} method cannot:
     * {@code AiServices.builder(...).tools(Map.of(CodeInterpreterTool.specification(), tool.executor()))}.
     */
    public ToolExecutor executor() {
        return new RunPythonExecutor(runner);
    }

    private static Method runPythonMethod() {
        try {
            return CodeInterpreterTool.class.getMethod("runPython", String.class);
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(e);
        }
    }

    @Tool(name = "run_python", value = {
            "Runs Python 3 code in a persistent interpreter inside a sandbox, like a notebook cell: variables, "
                    + "imports, functions and loaded data stay defined for the next call.",
            "Returns stdout, stderr, the value of the last expression (Out: ...), the error with its traceback, "
                    + "and the images saved in the outputs directory /workspace/outputs (save plots there, e.g. "
                    + "plt.savefig('/workspace/outputs/plot.png'); open matplotlib figures are saved there too).",
            "The working directory is /workspace. A cell that runs too long is interrupted with KeyboardInterrupt; "
                    + "output is capped per cell. Only the standard library is guaranteed; the sandbox has no "
                    + "network unless its policy allows it."})
    public List<Content> runPython(@P(name = "code", value = "the Python code of the cell") String code) {
        return RunPythonExecutor.contents(code, runner).resultContents();
    }
}
