package dev.sandbox4j.langchain4j;

import dev.langchain4j.agent.tool.P;
import dev.langchain4j.agent.tool.Tool;
import dev.sandbox4j.Command;
import dev.sandbox4j.DataSize;
import dev.sandbox4j.ExecResult;
import dev.sandbox4j.FileAccessException;
import dev.sandbox4j.FileEntry;
import dev.sandbox4j.InvalidInputException;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.SandboxException;
import dev.sandbox4j.langchain4j.internal.OutputText;
import dev.sandbox4j.langchain4j.internal.ResultText;
import dev.sandbox4j.langchain4j.internal.ResultText.Section;
import dev.sandbox4j.langchain4j.internal.SandboxAccess;
import dev.sandbox4j.langchain4j.internal.SandboxSetupException;
import dev.sandbox4j.langchain4j.internal.ToolOutcome;
import dev.sandbox4j.langchain4j.internal.ViolationLog;
import dev.sandbox4j.langchain4j.internal.WorkspacePaths;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * LangChain4j tools for a model that acts in a sandbox's workspace: {@code run_shell_command},
 * {@code write_file}, {@code read_file} and {@code list_directory}. Give an instance to
 * {@code AiServices.builder(...).tools(...)}, or use {@link SandboxToolProvider} for one sandbox per
 * conversation.
 *
 * <p>Every tool returns text and never throws into the model's loop: the exit code and output of a
 * command (binary output as its size and a hexdump of its start), what was cut and why (the
 * {@link ToolLimits}: at most 8000 characters per result by default),
 * and, for a call the sandbox refused (a path outside the workspace, a {@code ..} segment, a symlink, a
 * file too large, a closed sandbox), a line starting with {@code refused:} that says why. File paths are
 * relative to the workspace or absolute under {@link Sandbox#workspacePath()}; commands run with the
 * workspace as their working directory and see only what the sandbox's policy grants.
 *
 * <p>Given to {@code AiServices.tools(...)}, the results are plain text: LangChain4j's executor for
 * annotated methods cannot mark a result as failed. {@link SandboxToolProvider}'s tools are these same
 * tools returning {@code ToolExecutionResult}s marked as failed, with {@link ToolResultAttributes}; their
 * shell tool's description also states the policy's network, time limit and user.
 *
 * <p>Thread-safe when its sandbox is (every {@link Sandbox} is): a model may call several tools at once.
 * The tools do not own the sandbox given to the constructor; its owner closes it.
 */
public final class SandboxTools {
    static final String SHELL_DESCRIPTION = "Runs a shell command line (/bin/sh -c) inside an isolated sandbox. "
            + "The sandbox's policy sets the user, the network (by default none at all: no internet, no package "
            + "downloads) and the time limit per call (by default 30 seconds). The working directory is the "
            + "workspace, where files persist between calls. Whether a server or other background process "
            + "started in one call (for example with '&') keeps running into the next call depends on the "
            + "sandbox's backend; to be sure, start it and use it within one call. Returns the exit code, stdout "
            + "and stderr, and notes when the command timed out, was killed or its output was cut.";

    private final SandboxAccess access;
    private final ToolLimits limits;
    private final Optional<ViolationLog> violations;

    /** Tools on an open sandbox, with {@link ToolLimits#defaults()}. */
    public SandboxTools(Sandbox sandbox) {
        this(sandbox, ToolLimits.defaults());
    }

    /** Tools on an open sandbox that the caller keeps and closes. */
    public SandboxTools(Sandbox sandbox, ToolLimits limits) {
        this(SandboxAccess.of(requireSandbox(sandbox)), limits, Optional.empty());
    }

    /** @param violations where the sandboxes' policy violations arrive; empty when no listener feeds one */
    SandboxTools(SandboxAccess access, ToolLimits limits, Optional<ViolationLog> violations) {
        if (limits == null) {
            throw new InvalidInputException("SandboxTools: no limits given; use ToolLimits.defaults()");
        }
        this.access = access;
        this.limits = limits;
        this.violations = violations;
    }

    private static Sandbox requireSandbox(Sandbox sandbox) {
        if (sandbox == null) {
            throw new InvalidInputException("SandboxTools: no sandbox given; open one with Sandbox.builder().build()");
        }
        return sandbox;
    }

    /** The limits these tools apply. */
    public ToolLimits limits() {
        return limits;
    }

    @Tool(name = "run_shell_command", value = SHELL_DESCRIPTION)
    public String runShellCommand(@P(name = "command", value = "the shell command line, for example 'ls -la' or "
            + "'python3 main.py'") String command) {
        return shell(command).text();
    }

    ToolOutcome shell(String command) {
        if (command == null || command.isBlank()) {
            return ToolOutcome.failed("arguments",
                    "refused: run_shell_command: no command given; pass a shell command line such as 'ls -la'");
        }
        return guarded(sandbox -> {
            Duration timeout = limits.commandTimeout().orElse(sandbox.policy().limits().wallTime());
            DataSize cap = limits.outputCap();
            long mark = violations.map(v -> v.mark(sandbox.id())).orElse(0L);
            ExecResult r = sandbox.exec(Command.shell(command).timeout(timeout).maxOutput(cap));
            List<String> seen = violations.map(v -> v.since(sandbox.id(), mark)).orElse(List.of());
            boolean closed = r.signal().isPresent() && !r.timedOut() && sandbox.isClosed();
            List<String> head = new ArrayList<>();
            head.add("exit code: " + r.exitCode());
            head.addAll(ResultText.notes(r, timeout, cap, access.name(), closed, seen));
            if (r.exitCode() == 127 && !r.timedOut()) {
                head.add("note: exit code 127 means the command was not found inside the sandbox");
            }
            String text = ResultText.render(head, List.of(
                    new Section("stdout", OutputText.of(r.stdoutBytes(), r.stdoutTruncated()), true),
                    new Section("stderr", OutputText.of(r.stderrBytes(), r.stderrTruncated()), false)),
                    limits.maxResultChars());
            Map<String, Object> attributes = new LinkedHashMap<>();
            attributes.put(ToolResultAttributes.EXIT_CODE, r.exitCode());
            attributes.put(ToolResultAttributes.DURATION_MILLIS, r.duration().toMillis());
            attributes.put(ToolResultAttributes.TIMED_OUT, r.timedOut());
            r.signal().ifPresent(sig -> attributes.put(ToolResultAttributes.SIGNAL, sig));
            if (violations.isPresent()) {
                // absent, not empty, when nothing collects them: "none seen" would be a claim
                attributes.put(ToolResultAttributes.VIOLATIONS, List.copyOf(seen));
            }
            boolean failed = !r.succeeded() || r.signal().isPresent();
            if (failed) {
                attributes.put(ToolResultAttributes.FAILURE, r.timedOut() ? "timeout" : closed ? "sandbox-closed"
                        : r.signal().isPresent() ? "killed" : "exit");
            }
            return new ToolOutcome(text, failed, attributes);
        });
    }

    @Tool(name = "write_file", value = "Creates or replaces a text file in the sandbox's workspace; missing parent "
            + "directories are created. Returns how many bytes were written, or why the write was refused.")
    public String writeFile(@P(name = "path", value = "the file's path, relative to the workspace (for example "
                    + "'src/main.py')") String path,
                            @P(name = "content", value = "the whole text content of the file") String content) {
        return write(path, content).text();
    }

    ToolOutcome write(String path, String content) {
        if (content == null) {
            return ToolOutcome.failed("arguments",
                    "refused: write_file: no content given; pass the file's text (an empty string for an empty file)");
        }
        return guarded(sandbox -> {
            byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
            String p = WorkspacePaths.normalise(path, sandbox.workspacePath());
            sandbox.files().write(p, bytes);
            return ToolOutcome.ok("wrote " + bytes.length + " bytes to " + WorkspacePaths.shown(p, sandbox.workspacePath()));
        });
    }

    @Tool(name = "read_file", value = "Reads a text file from the sandbox's workspace. Long files are shown by "
            + "their start and end; read other parts with run_shell_command (for example sed -n '100,200p' FILE).")
    public String readFile(@P(name = "path", value = "the file's path, relative to the workspace") String path) {
        return read(path).text();
    }

    ToolOutcome read(String path) {
        return guarded(sandbox -> {
            String p = WorkspacePaths.normalise(path, sandbox.workspacePath());
            byte[] data;
            try {
                data = sandbox.files().read(p, limits.maxFileRead());
            } catch (FileAccessException e) {
                Optional<Long> size = WorkspacePaths.sizeOf(sandbox.files(), p, sandbox.workspacePath());
                if (size.isPresent() && size.get() > limits.maxFileRead().bytes()) {
                    return ToolOutcome.failed("refused", "refused: read_file '" + path + "': the file is " + size.get()
                            + " bytes, more than the " + limits.maxFileRead().bytes() + " bytes read_file reads; read"
                            + " a part of it with run_shell_command, for example head -c 4000 " + p + " or sed -n"
                            + " '1,100p' " + p);
                }
                throw e;
            }
            if (data.length == 0) {
                return ToolOutcome.ok("(the file " + path + " is empty)");
            }
            for (byte b : data) {
                if (b == 0) {
                    return ToolOutcome.ok("the file " + path + " is binary (" + data.length + " bytes); inspect it"
                            + " with run_shell_command, for example od -c " + p + " | head");
                }
            }
            String text = new String(data, StandardCharsets.UTF_8);
            if (text.length() <= limits.maxResultChars()) {
                return ToolOutcome.ok(text);
            }
            String note = "note: the file has " + text.length() + " characters; only its start and end are shown\n";
            return ToolOutcome.ok(note + ResultText.cut(text, limits.maxResultChars() - note.length()));
        });
    }

    @Tool(name = "list_directory", value = "Lists a directory of the sandbox's workspace: one entry a line, "
            + "directories ending in '/', files with their size, symlinks marked '@' (never followed).")
    public String listDirectory(@P(name = "path", value = "the directory, relative to the workspace; '.' for the "
            + "workspace itself") String path) {
        return list(path).text();
    }

    ToolOutcome list(String path) {
        return guarded(sandbox -> {
            String p = WorkspacePaths.normalise(path, sandbox.workspacePath());
            List<FileEntry> entries = sandbox.files().list(p);
            String shown = WorkspacePaths.shown(p, sandbox.workspacePath());
            if (entries.isEmpty()) {
                return ToolOutcome.ok("(the directory " + shown + " is empty)");
            }
            StringBuilder out = new StringBuilder();
            for (FileEntry e : entries) {
                out.append(switch (e.type()) {
                    case DIRECTORY -> e.name() + "/";
                    case FILE -> e.name() + "  (" + e.size() + " bytes)";
                    case SYMLINK -> e.name() + "@  (symlink)";
                    case OTHER -> e.name() + "  (special file)";
                }).append('\n');
            }
            String head = shown + ": " + entries.size() + (entries.size() == 1 ? " entry\n" : " entries\n");
            return ToolOutcome.ok(head + ResultText.cut(out.toString().stripTrailing(), limits.maxResultChars() - head.length()));
        });
    }

    /** Runs a tool's body; what the sandbox refuses or fails becomes text for the model, marked as failed. */
    private ToolOutcome guarded(Function<Sandbox, ToolOutcome> body) {
        try {
            return access.use(body);
        } catch (SandboxSetupException e) {
            return ToolOutcome.failed("setup", ResultText.cut("error: " + e.getMessage(), limits.maxResultChars()));
        } catch (FileAccessException | InvalidInputException e) {
            return ToolOutcome.failed("refused", ResultText.cut("refused: " + e.getMessage(), limits.maxResultChars()));
        } catch (SandboxException e) {
            return ToolOutcome.failed("error", ResultText.cut("error: " + e.getMessage(), limits.maxResultChars()));
        }
    }
}
