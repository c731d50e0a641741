package dev.sandbox4j.langchain4j;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.langchain4j.code.CodeExecutionEngine;
import dev.sandbox4j.DataSize;
import dev.sandbox4j.Durations;
import dev.sandbox4j.InvalidInputException;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.SandboxException;
import dev.sandbox4j.langchain4j.internal.OutputFiles;
import dev.sandbox4j.langchain4j.internal.PythonProcess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A stateful Python interpreter in a sandbox, as in a notebook: one {@code python3} process lives as long
 * as the sandbox (or until {@link #close()}), and every {@link #run(String) cell} runs in the same
 * namespace, so variables, imports and loaded data persist from one call to the next. Plain python3 with
 * its standard library is enough (no Jupyter): a small driver script, passed with {@code -c}, talks to this
 * class through length-prefixed JSON frames on descriptors it moves aside at start, so nothing a cell prints
 * can be taken for a frame.
 *
 * <p>Each cell returns a {@link CellResult}: stdout and stderr (the cell's and its subprocesses', each cut
 * at {@code maxOutput}), the {@code repr} of the last expression, the exception with its traceback, and the
 * images the cell saved in the outputs directory ({@code <workspace>/outputs}; a matplotlib figure left open
 * is saved there too when the image has matplotlib) as bytes, as LangChain4j {@code Image} content and as a
 * path in the workspace.
 *
 * <ul>
 *   <li><b>Timeout:</b> a cell that runs past its timeout gets a real SIGINT, which Python raises as
 *       {@code KeyboardInterrupt} (it also ends {@code time.sleep}); the state is kept. When the cell does
 *       not stop within the grace period (it caught or ignored the interrupt), the process is killed and the
 *       result says the state was lost.</li>
 *   <li><b>Crash:</b> when the process ends during a cell ({@code os._exit}, a segfault, the sandbox's
 *       memory limit), the cell's result says so and that the state was lost; the next call starts a new
 *       process and says so again.</li>
 *   <li><b>Lifetime:</b> closing the sandbox ends the process (a sandbox kills all it runs); {@link #close()}
 *       ends only the process and leaves the sandbox open. The interpreter never closes the sandbox.</li>
 * </ul>
 *
 * <p>Defaults (set in {@link Builder}):
 * <table>
 *   <caption>defaults</caption>
 *   <tr><th>option</th><th>default</th></tr>
 *   <tr><td>{@code python}</td><td>{@code python3}, looked up in the sandbox's PATH</td></tr>
 *   <tr><td>{@code timeout}</td><td>the sandbox policy's {@code limits.wallTime} (30 s for {@code strict()}), per cell</td></tr>
 *   <tr><td>{@code interruptGrace}</td><td>5 s from the interrupt to the kill</td></tr>
 *   <tr><td>{@code maxOutput}</td><td>32 KiB per stream per cell (stdout and stderr each); also the most
 *       characters kept of the value and of the traceback</td></tr>
 *   <tr><td>{@code maxImageSize}</td><td>5 MiB per image; a larger one is named in the notes, not returned</td></tr>
 *   <tr><td>{@code maxImages}</td><td>8 images per cell; the rest are named in the notes</td></tr>
 *   <tr><td>{@code startTimeout}</td><td>30 s for python3 to start and answer</td></tr>
 * </table>
 *
 * <p>Thread-safety: thread-safe, and calls are serialized: a cell runs only after the one before it has
 * returned (one namespace, one process). {@link #close()} does not wait: it kills a running cell, whose call
 * returns that as its result.
 *
 * <pre>{@code
 * try (Sandbox sandbox = Sandbox.builder().policy(IsolationPolicy.strict()).build()) {
 *     SandboxCodeInterpreter python = SandboxCodeInterpreter.of(sandbox);
 *     python.run("import math; x = 41");
 *     python.run("x + 1").value();   // Optional[42]
 * }
 * }</pre>
 */
public final class SandboxCodeInterpreter implements CodeExecutionEngine, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger("dev.sandbox4j.langchain4j");
    /** The driver refuses a request frame over 64 MiB; a character is at most 6 bytes of JSON-escaped text. */
    private static final int MAX_CODE_CHARS = 8 * 1024 * 1024;

    private final Sandbox sandbox;
    private final List<String> python;
    private final Optional<Duration> timeout;
    private final Duration interruptGrace;
    private final DataSize maxOutput;
    private final DataSize maxImageSize;
    private final int maxImages;
    private final Duration startTimeout;
    private final String outputsDir;

    /** Calls are serialized: one namespace, one process, one cell at a time. */
    private final ReentrantLock calls = new ReentrantLock();
    private volatile PythonProcess process;
    private volatile boolean closed;
    /** Why the state of the previous process was lost, told with the next cell; guarded by {@link #calls}. */
    private Optional<String> lostReason = Optional.empty();
    private long nextId;

    private SandboxCodeInterpreter(Builder b) {
        this.sandbox = b.sandbox;
        this.python = b.python;
        this.timeout = b.timeout;
        this.interruptGrace = b.interruptGrace;
        this.maxOutput = b.maxOutput;
        this.maxImageSize = b.maxImageSize;
        this.maxImages = b.maxImages;
        this.startTimeout = b.startTimeout;
        String ws = sandbox.workspacePath();
        this.outputsDir = (ws.endsWith("/") ? ws : ws + "/") + "outputs";
    }

    /** An interpreter with the defaults in an open sandbox that the caller keeps and closes. */
    public static SandboxCodeInterpreter of(Sandbox sandbox) {
        return builder(sandbox).build();
    }

    /** A builder for an interpreter in {@code sandbox}, which the caller keeps and closes. */
    public static Builder builder(Sandbox sandbox) {
        if (sandbox == null) {
            throw new InvalidInputException("SandboxCodeInterpreter.builder: no sandbox given; open one with Sandbox.builder().build()");
        }
        return new Builder(sandbox);
    }

    /** The sandbox the interpreter runs in. */
    public Sandbox sandbox() {
        return sandbox;
    }

    /** Where the cells' image files are looked for: {@code <workspace>/outputs}, created at start. */
    public String outputsDirectory() {
        return outputsDir;
    }

    /** Runs one cell with the default timeout. See {@link #run(String, Duration)}. */
    public CellResult run(String code) {
        return run(code, timeout.orElse(sandbox.policy().limits().wallTime()));
    }

    /**
     * Runs one cell in the interpreter's namespace, starting the Python process first when there is none
     * (the first call, or after the previous one ended). Waits for any cell running in another thread.
     *
     * @throws InvalidInputException when {@code code} is null or {@code timeout} is not positive
     * @throws SandboxException      when the interpreter is closed, the sandbox is closed, or python cannot be
     *                               started in it (missing, or no answer within the start timeout)
     */
    public CellResult run(String code, Duration timeout) {
        if (code == null) {
            throw new InvalidInputException("SandboxCodeInterpreter.run: no code given; pass the cell's Python source");
        }
        if (code.length() > MAX_CODE_CHARS) {
            throw new InvalidInputException("SandboxCodeInterpreter.run: the cell has " + code.length()
                    + " characters, more than " + MAX_CODE_CHARS + "; write large data to a file in the workspace and read it in the cell");
        }
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new InvalidInputException("SandboxCodeInterpreter.run: timeout " + timeout + " must be a positive duration (e.g. Duration.ofSeconds(30))");
        }
        calls.lock();
        try {
            return runLocked(code, timeout);
        } finally {
            calls.unlock();
        }
    }

    private CellResult runLocked(String code, Duration timeout) {
        requireOpen();
        long t0 = System.nanoTime();
        List<String> notes = new ArrayList<>();
        boolean stateLost = false;
        PythonProcess p = process;
        if (p == null || !p.isAlive()) {
            if (p != null && lostReason.isEmpty()) {
                lostReason = Optional.of("the Python process had ended between cells" + p.exitText(Duration.ofSeconds(1)));
            }
            if (lostReason.isPresent()) {
                stateLost = true;
                notes.add("note: a new Python process was started: " + lostReason.get()
                        + "; the variables, imports and data of earlier cells are gone");
            }
            p = PythonProcess.start(sandbox, python, outputsDir, startTimeout, maxOutput);
            lostReason = Optional.empty();
            process = p;
            requireOpen();
        }
        long id = ++nextId;
        ObjectNode request = PythonProcess.request("run", id);
        request.put("code", code);
        request.put("maxOutput", maxOutput.bytes());
        request.put("maxValue", (int) Math.min(Integer.MAX_VALUE, maxOutput.bytes()));
        boolean sent = p.send(request);
        PythonProcess.Reply reply = sent ? p.await(id, timeout) : new PythonProcess.Reply(Optional.empty(), true);
        boolean timedOut = false;
        if (reply.timedOut()) {
            timedOut = true;
            p.send(PythonProcess.request("interrupt", id));
            reply = p.await(id, interruptGrace);
            if (reply.timedOut()) {
                p.kill();
                process = null;
                String why = "cell " + id + " ran past its timeout of " + Durations.format(timeout)
                        + " and did not stop within " + Durations.format(interruptGrace)
                        + " of the interrupt (KeyboardInterrupt), so the process was killed";
                lostReason = Optional.of(why);
                notes.add("note: " + why + "; the variables, imports and data of earlier cells are gone");
                return ended(notes, "Timeout", why, true, t0);
            }
            notes.add("note: the cell ran past its timeout of " + Durations.format(timeout)
                    + " and was interrupted with KeyboardInterrupt; the interpreter's state is kept");
        }
        if (reply.ended()) {
            process = null;
            String exit = p.exitText(Duration.ofSeconds(5));
            // the core marks a sandbox closed before it kills what runs in it: checked after the end, this tells
            // a close from a crash or the memory limit
            boolean gone = closed || sandbox.isClosed();
            String why = closed ? "the interpreter was closed during cell " + id
                    : gone ? "the sandbox was closed during cell " + id
                    : "the Python process ended" + exit + " during cell " + id;
            String diag = p.stderr().strip();
            lostReason = Optional.of(why);
            notes.add("note: " + why + "; the variables, imports and data of earlier cells are gone"
                    + (gone ? "" : "; the next call starts a new process"));
            return ended(notes, gone ? "Closed" : "InterpreterExited",
                    why + (gone || diag.isEmpty() ? "" : "; its stderr: " + diag), timedOut, t0);
        }
        return toResult(reply.frame().orElseThrow(), notes, timedOut, stateLost, t0);
    }

    private CellResult ended(List<String> notes, String type, String message, boolean timedOut, long t0) {
        return new CellResult("", "", false, false, Optional.empty(),
                Optional.of(new CellResult.Failure(type, message, "")), List.of(), timedOut, true, notes, since(t0));
    }

    private CellResult toResult(JsonNode f, List<String> notes, boolean timedOut, boolean stateLost, long t0) {
        JsonNode v = f.path("value");
        Optional<String> value = v.isTextual() ? Optional.of(v.asText()) : Optional.empty();
        JsonNode e = f.path("error");
        Optional<CellResult.Failure> error = e.isObject()
                ? Optional.of(new CellResult.Failure(e.path("type").asText(), e.path("message").asText(),
                        e.path("traceback").asText()))
                : Optional.empty();
        List<String> paths = new ArrayList<>();
        f.path("outputs").forEach(n -> paths.add(n.asText()));
        List<CellResult.OutputFile> outputs = OutputFiles.read(sandbox, outputsDir, paths, maxImageSize, maxImages, notes);
        return new CellResult(f.path("stdout").asText(), f.path("stderr").asText(),
                f.path("stdoutTruncated").asBoolean(), f.path("stderrTruncated").asBoolean(), value, error, outputs,
                timedOut, stateLost, notes, since(t0));
    }

    private static Duration since(long t0) {
        return Duration.ofNanos(System.nanoTime() - t0);
    }

    private void requireOpen() {
        if (closed) {
            throw new SandboxException("SandboxCodeInterpreter: the interpreter in sandbox " + sandbox.id()
                    + " is closed; make a new one with SandboxCodeInterpreter.of(sandbox)");
        }
    }

    /**
     * Runs {@code code} as a cell with the default timeout and returns {@link CellResult#text()}; never
     * throws for what the code does or for a sandbox that cannot run it (that is text starting with
     * {@code the code could not be run:}).
     */
    @Override
    public String execute(String code) {
        if (code == null) {
            return "refused: no code given";
        }
        try {
            return run(code).text();
        } catch (SandboxException e) {
            return "the code could not be run: " + e.getMessage();
        }
    }

    /**
     * Ends the Python process (its state is gone) and refuses further calls; the sandbox stays open. Does
     * not wait for a running cell: that cell is killed and its call returns. Idempotent.
     */
    @Override
    public void close() {
        closed = true;
        PythonProcess p = process;
        if (p != null) {
            p.kill();
            LOG.debug("closed the Python interpreter in sandbox {}", sandbox.id());
        }
    }

    /** The interpreter's options; every default is set here. Not thread-safe; build once. */
    public static final class Builder {
        private final Sandbox sandbox;
        private List<String> python = List.of("python3");
        private Optional<Duration> timeout = Optional.empty();
        private Duration interruptGrace = Duration.ofSeconds(5);
        private DataSize maxOutput = DataSize.ofKiB(32);
        private DataSize maxImageSize = DataSize.ofMiB(5);
        private int maxImages = 8;
        private Duration startTimeout = Duration.ofSeconds(30);

        private Builder(Sandbox sandbox) {
            this.sandbox = sandbox;
        }

        /** The Python command, looked up in the sandbox's PATH; {@code -c <driver>} is added. Default {@code python3}. */
        public Builder python(String... argv) {
            if (argv == null || argv.length == 0) {
                throw new InvalidInputException("SandboxCodeInterpreter.python: no command given, e.g. python(\"python3\")");
            }
            dev.sandbox4j.Command.of(argv); // validates each argument (no null, no NUL) now
            python = List.of(argv);
            return this;
        }

        /** The wall-clock timeout of one cell. Default: the sandbox policy's {@code limits.wallTime}. */
        public Builder timeout(Duration t) {
            timeout = Optional.of(positive("timeout", t));
            return this;
        }

        /** How long a timed-out cell has to stop after its KeyboardInterrupt before the process is killed. Default 5 s. */
        public Builder interruptGrace(Duration d) {
            interruptGrace = positive("interruptGrace", d);
            return this;
        }

        /** How long python3 has to start and answer. Default 30 s. */
        public Builder startTimeout(Duration d) {
            startTimeout = positive("startTimeout", d);
            return this;
        }

        /** The most bytes kept of a cell's stdout and of its stderr each. Default 32 KiB. */
        public Builder maxOutput(DataSize size) {
            if (size == null || size.bytes() < 1) {
                throw new InvalidInputException("SandboxCodeInterpreter.maxOutput: " + size + " must be at least 1 byte (e.g. DataSize.ofKiB(32))");
            }
            maxOutput = size;
            return this;
        }

        /** The largest image file returned. Default 5 MiB. */
        public Builder maxImageSize(DataSize size) {
            if (size == null || size.bytes() < 1) {
                throw new InvalidInputException("SandboxCodeInterpreter.maxImageSize: " + size + " must be at least 1 byte (e.g. DataSize.ofMiB(5))");
            }
            maxImageSize = size;
            return this;
        }

        /** The most images returned per cell. Default 8. */
        public Builder maxImages(int n) {
            if (n < 0) {
                throw new InvalidInputException("SandboxCodeInterpreter.maxImages: " + n + " must be 0 or more (e.g. 8)");
            }
            maxImages = n;
            return this;
        }

        private static Duration positive(String what, Duration d) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new InvalidInputException("SandboxCodeInterpreter." + what + ": " + d + " must be a positive duration (e.g. Duration.ofSeconds(10))");
            }
            return d;
        }

        /** The interpreter; its Python process starts with the first cell. */
        public SandboxCodeInterpreter build() {
            return new SandboxCodeInterpreter(this);
        }
    }
}
