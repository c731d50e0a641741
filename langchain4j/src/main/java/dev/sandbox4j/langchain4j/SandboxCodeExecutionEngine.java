package dev.sandbox4j.langchain4j;

import dev.langchain4j.code.CodeExecutionEngine;
import dev.sandbox4j.Command;
import dev.sandbox4j.DataSize;
import dev.sandbox4j.ExecResult;
import dev.sandbox4j.FileAccessException;
import dev.sandbox4j.InvalidInputException;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.SandboxBuilder;
import dev.sandbox4j.SandboxException;
import dev.sandbox4j.langchain4j.internal.FreshSandboxes;
import dev.sandbox4j.langchain4j.internal.OutputText;
import dev.sandbox4j.langchain4j.internal.ResultText;
import dev.sandbox4j.langchain4j.internal.ResultText.Section;
import dev.sandbox4j.langchain4j.internal.SandboxAccess;
import dev.sandbox4j.langchain4j.internal.SandboxSetupException;
import dev.sandbox4j.langchain4j.internal.SetupFailures;
import dev.sandbox4j.langchain4j.internal.WorkspacePaths;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A LangChain4j {@link CodeExecutionEngine} that runs the code it is given inside a sandbox: it writes
 * the code to a file in the workspace ({@code /workspace/.sandbox4j-run-<uuid>/main.py}), runs
 * {@code python3 <file>} with the workspace as working directory, deletes the file's directory and
 * returns text a model can use:
 * <ul>
 *   <li>on success (exit 0): the code's stdout, or a line saying it printed nothing; a note follows when
 *       the output passed {@code maxOutput} and the rest was dropped; binary output is given as its size
 *       and a hexdump of its first 64 bytes;</li>
 *   <li>on failure: {@code the code failed with exit code N} (or {@code ...: it timed out}), notes on a
 *       timeout, a killing signal or truncated output, then stderr and stdout;</li>
 *   <li>when the sandbox refused or could not run it: a line starting with {@code refused:} or
 *       {@code the code could not be run:} with the reason. {@link #execute(String)} never throws for
 *       what the code does or what the sandbox refuses. A fresh sandbox that cannot be made (the
 *       application's setup: an unknown backend, a policy it cannot enforce) is logged once through SLF4J
 *       (logger {@code dev.sandbox4j.langchain4j}) and the model gets a short text;
 *       {@link Builder#verifyOnBuild()} finds it at {@code build()} instead.</li>
 * </ul>
 *
 * <p>Defaults (set in {@link Builder}, changed there):
 * <table>
 *   <caption>defaults</caption>
 *   <tr><th>option</th><th>default</th></tr>
 *   <tr><td>{@code interpreter}</td><td>{@code python3} (e.g. {@code node}, {@code sh}, {@code bash})</td></tr>
 *   <tr><td>{@code fileName}</td><td>{@code main.py} (e.g. {@code main.js}, {@code script.sh})</td></tr>
 *   <tr><td>{@code timeout}</td><td>the sandbox policy's {@code limits.wallTime} (30 s for {@code strict()});
 *       at its end every process the code started is killed</td></tr>
 *   <tr><td>{@code maxOutput}</td><td>32 KiB per stream (stdout and stderr each); the rest is dropped
 *       inside the sandbox and the result says so. The result is not cut further (unlike
 *       {@link SandboxTools}, which cut theirs to {@link ToolLimits#maxResultChars()}): lower it for a model
 *       with a small context</td></tr>
 * </table>
 *
 * <p>Built on a shared open {@link Sandbox} ({@link Builder#sandbox}: the caller owns and closes it; runs
 * may see each other's workspace files, which lets code build on earlier results) or on fresh sandboxes
 * ({@link Builder#freshSandboxes}: one per {@code execute}, closed right after, nothing shared). Thread-safe:
 * several threads may execute at once in either mode.
 *
 * <pre>{@code
 * CodeExecutionEngine engine = SandboxCodeExecutionEngine.builder()
 *         .freshSandboxes(Sandbox.builder().backend("bubblewrap"), IsolationPolicy.strict())
 *         .timeout(Duration.ofSeconds(10))
 *         .build();
 * String out = engine.execute("print(6 * 7)");   // "42\n"
 * }</pre>
 */
public final class SandboxCodeExecutionEngine implements CodeExecutionEngine {
    private static final Logger LOG = LoggerFactory.getLogger("dev.sandbox4j.langchain4j");
    private static final String RUN_DIR_PREFIX = ".sandbox4j-run-";

    private final SandboxAccess access;
    private final List<String> interpreter;
    private final String fileName;
    private final Optional<Duration> timeout;
    private final DataSize maxOutput;

    private SandboxCodeExecutionEngine(Builder b) {
        this.access = b.access;
        this.interpreter = b.interpreter;
        this.fileName = b.fileName;
        this.timeout = b.timeout;
        this.maxOutput = b.maxOutput;
    }

    /** Python with the defaults, on an open sandbox that the caller keeps and closes. */
    public static SandboxCodeExecutionEngine of(Sandbox sandbox) {
        return builder().sandbox(sandbox).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public String execute(String code) {
        if (code == null) {
            return "refused: no code given";
        }
        try {
            return access.use(sandbox -> run(sandbox, code));
        } catch (SandboxSetupException e) {
            return "the code could not be run: " + e.getMessage();
        } catch (FileAccessException | InvalidInputException e) {
            return "refused: " + e.getMessage();
        } catch (SandboxException e) {
            return "the code could not be run: " + e.getMessage();
        }
    }

    private String run(Sandbox sandbox, String code) {
        String dir = RUN_DIR_PREFIX + UUID.randomUUID();
        String file = dir + "/" + fileName;
        sandbox.files().write(file, code.getBytes(StandardCharsets.UTF_8));
        try {
            Duration t = timeout.orElse(sandbox.policy().limits().wallTime());
            List<String> argv = new ArrayList<>(interpreter);
            argv.add(WorkspacePaths.shown(file, sandbox.workspacePath()));
            ExecResult r = sandbox.exec(Command.of(argv).timeout(t).maxOutput(maxOutput));
            return describe(sandbox, r, t);
        } finally {
            try {
                sandbox.files().delete(dir);
            } catch (SandboxException e) {
                // the sandbox may have been closed meanwhile, which removed the file anyway
                LOG.debug("could not delete " + dir + " in sandbox " + sandbox.id(), e);
            }
        }
    }

    private String describe(Sandbox sandbox, ExecResult r, Duration t) {
        boolean closed = r.signal().isPresent() && !r.timedOut() && sandbox.isClosed();
        List<String> notes = ResultText.notes(r, t, maxOutput, "the sandbox", closed, List.of());
        String stdout = OutputText.of(r.stdoutBytes(), r.stdoutTruncated());
        String stderr = OutputText.of(r.stderrBytes(), r.stderrTruncated());
        if (r.succeeded()) {
            String out = stdout.isEmpty() ? "(the code ran successfully and printed nothing)" : stdout;
            return notes.isEmpty() ? out : out + (out.endsWith("\n") ? "" : "\n") + String.join("\n", notes);
        }
        List<String> head = new ArrayList<>();
        head.add(r.timedOut() ? "the code failed: it timed out" : "the code failed with exit code " + r.exitCode());
        head.addAll(notes);
        // the output is already bounded by the cap per stream: no further cut
        return ResultText.render(head, List.of(new Section("stderr", stderr, true),
                new Section("stdout", stdout, false)), Integer.MAX_VALUE / 2);
    }

    /** The engine's options; every default is set here. Not thread-safe; build once. */
    public static final class Builder {
        private SandboxAccess access;
        private List<String> interpreter = List.of("python3");
        private String fileName = "main.py";
        private Optional<Duration> timeout = Optional.empty();
        private DataSize maxOutput = DataSize.ofKiB(32);
        private boolean verifyOnBuild;

        private Builder() {
        }

        /** Runs every execution in this open sandbox; the caller keeps it and closes it. */
        public Builder sandbox(Sandbox sandbox) {
            if (sandbox == null) {
                throw new InvalidInputException("SandboxCodeExecutionEngine.sandbox: no sandbox given; open one with Sandbox.builder().build()");
            }
            requireNoSource();
            access = SandboxAccess.of(sandbox);
            return this;
        }

        /**
         * Builds a new sandbox with {@code builder} and {@code policy} for every execution and closes it
         * after. The engine takes the builder over: do not change it afterwards.
         */
        public Builder freshSandboxes(SandboxBuilder builder, IsolationPolicy policy) {
            if (builder == null || policy == null) {
                throw new InvalidInputException("SandboxCodeExecutionEngine.freshSandboxes: give a builder and a policy, e.g. (Sandbox.builder(), IsolationPolicy.strict())");
            }
            requireNoSource();
            access = new FreshSandboxes(builder.policy(policy), new SetupFailures("SandboxCodeExecutionEngine"));
            return this;
        }

        private void requireNoSource() {
            if (access != null) {
                throw new InvalidInputException("SandboxCodeExecutionEngine: a sandbox source is already set; call either sandbox(...) or freshSandboxes(...), once");
            }
        }

        /**
         * The interpreter command, looked up in the sandbox's PATH; the code file's path is added as its
         * last argument. Default {@code python3}.
         */
        public Builder interpreter(String... argv) {
            if (argv == null || argv.length == 0) {
                throw new InvalidInputException("SandboxCodeExecutionEngine.interpreter: no command given, e.g. interpreter(\"node\")");
            }
            // Command validates each argument (no null, no NUL) when it is made; fail here already
            Command.of(argv);
            interpreter = List.of(argv);
            return this;
        }

        /** The name of the file the code is written to, a plain name such as {@code main.js}. Default {@code main.py}. */
        public Builder fileName(String name) {
            if (name == null || name.isEmpty() || name.contains("/") || name.indexOf('\0') >= 0 || name.equals(".")
                    || name.equals("..")) {
                throw new InvalidInputException("SandboxCodeExecutionEngine.fileName: '" + name
                        + "' is not a plain file name; give one like main.py or main.js");
            }
            fileName = name;
            return this;
        }

        /** Wall-clock timeout of one execution. Default: the sandbox policy's {@code limits.wallTime}. */
        public Builder timeout(Duration t) {
            if (t == null || t.isNegative() || t.isZero()) {
                throw new InvalidInputException("SandboxCodeExecutionEngine.timeout: " + t + " must be a positive duration (e.g. Duration.ofSeconds(10))");
            }
            timeout = Optional.of(t);
            return this;
        }

        /** The most bytes kept of stdout and of stderr each. Default 32 KiB. */
        public Builder maxOutput(DataSize size) {
            if (size == null || size.bytes() < 1) {
                throw new InvalidInputException("SandboxCodeExecutionEngine.maxOutput: " + size + " must be at least 1 byte (e.g. DataSize.ofKiB(32))");
            }
            maxOutput = size;
            return this;
        }

        /**
         * Makes {@link #build()} check the setup of {@link #freshSandboxes} before it returns: it builds one
         * sandbox and closes it, so that a misspelt backend name, a policy the backend cannot enforce or a
         * backend not available here fails the application's start instead of every {@code execute}. The core
         * chooses the backend and checks the policy before it starts anything, so those failures cost
         * nothing; a setup that works costs one sandbox start. With {@link #sandbox} there is nothing to
         * check: that sandbox is open already. Off by default.
         */
        public Builder verifyOnBuild() {
            verifyOnBuild = true;
            return this;
        }

        /**
         * @throws InvalidInputException when neither {@link #sandbox} nor {@link #freshSandboxes} was called
         * @throws SandboxException      with {@link #verifyOnBuild()}: the core's own exception when a fresh
         *                               sandbox cannot be made (logged as well)
         */
        public SandboxCodeExecutionEngine build() {
            if (access == null) {
                throw new InvalidInputException("SandboxCodeExecutionEngine: no sandbox source; call sandbox(openSandbox) or freshSandboxes(Sandbox.builder(), policy)");
            }
            if (verifyOnBuild && access instanceof FreshSandboxes fresh) {
                fresh.verify();
            }
            return new SandboxCodeExecutionEngine(this);
        }
    }
}
