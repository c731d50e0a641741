package dev.sandbox4j.langchain4j.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sandbox4j.Command;
import dev.sandbox4j.DataSize;
import dev.sandbox4j.ExecResult;
import dev.sandbox4j.Execution;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.SandboxException;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One running interpreter driver ({@code interpreter_driver.py}) in a sandbox and its framed protocol: a
 * 4-byte big-endian length and a JSON object per frame, on the process's stdin and stdout. A daemon thread
 * reads the frames into a queue; another keeps the end of the driver's own stderr for error messages.
 * Thread-safe.
 */
public final class PythonProcess {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String DRIVER = loadDriver();
    /** The driver lives as long as the sandbox: the Execution's own timeout must never fire. */
    private static final Duration LIFETIME = Duration.ofDays(3650);
    /** The protocol streams carry every cell of the driver's life; the cell's own cap is applied inside. */
    private static final DataSize STREAM_CAP = DataSize.ofBytes(Long.MAX_VALUE);
    /**
     * Frames not yet awaited that are kept; older ones are dropped. A real driver has at most one reply
     * outstanding; more means a cell writes forged frames to the protocol descriptor, which must not fill
     * the JVM's memory.
     */
    private static final int MAX_QUEUED = 16;
    private static final int STDERR_TAIL = 4096;

    /** What {@link #await} got: a reply frame, nothing within the time, or the end of the process. */
    public record Reply(Optional<JsonNode> frame, boolean ended) {
        static final Reply TIMEOUT = new Reply(Optional.empty(), false);
        static final Reply ENDED = new Reply(Optional.empty(), true);

        public boolean timedOut() {
            return frame.isEmpty() && !ended;
        }
    }

    private final Execution execution;
    private final BlockingQueue<Optional<JsonNode>> frames = new LinkedBlockingQueue<>();
    /** No reply is larger than this (see {@link #start}); a longer frame means the stream is not ours. */
    private final long maxFrame;
    private final ByteArrayOutputStream stderrTail = new ByteArrayOutputStream();
    private final Object stdinLock = new Object();
    private final String pythonVersion;

    private PythonProcess(Execution execution, Duration startTimeout, List<String> python, long maxFrame) {
        this.execution = execution;
        this.maxFrame = maxFrame;
        Thread reader = new Thread(this::readFrames, "sandbox4j-interpreter-reader");
        reader.setDaemon(true);
        reader.start();
        Thread drain = new Thread(this::drainStderr, "sandbox4j-interpreter-stderr");
        drain.setDaemon(true);
        drain.start();
        Reply ready = await(-1, startTimeout);
        if (ready.frame().isEmpty() || !"ready".equals(ready.frame().get().path("type").asText())) {
            kill();
            throw new SandboxException("SandboxCodeInterpreter: " + python + " did not start the interpreter "
                    + (ready.ended() ? "(it ended" + exitText(Duration.ofSeconds(5)) + ")" : "within " + startTimeout)
                    + "; stderr: " + stderr().strip()
                    + "; the sandbox needs python3 on its PATH (or set SandboxCodeInterpreter.Builder.python)");
        }
        this.pythonVersion = ready.frame().get().path("python").asText();
    }

    /**
     * Starts the driver in {@code sandbox} with the workspace as working directory, and waits for its
     * ready frame. {@code maxOutput} is the cap per stream of a cell: it bounds the frames the process
     * may send.
     *
     * @throws SandboxException when it cannot be started or does not answer within {@code startTimeout}
     */
    public static PythonProcess start(Sandbox sandbox, List<String> python, String outputsDir, Duration startTimeout,
                                      DataSize maxOutput) {
        List<String> argv = new ArrayList<>(python);
        argv.add("-c");
        argv.add(DRIVER);
        argv.add(outputsDir);
        Command command = Command.of(argv)
                .env("PYTHONUNBUFFERED", "1")
                .env("PYTHONUTF8", "1")
                .env("PYTHONIOENCODING", "utf-8")
                .env("PYTHONDONTWRITEBYTECODE", "1")
                // matplotlib, when the image has it, draws without a display; the driver saves the figures
                .env("MPLBACKEND", "Agg")
                .timeout(LIFETIME)
                .maxOutput(STREAM_CAP);
        // stdout, stderr, value and traceback, each at most maxOutput bytes or characters, JSON-escaped as
        // ASCII (at most 12 bytes per character, a surrogate pair as two \\uXXXX), plus the output paths
        long maxFrame = maxOutput.bytes() > Integer.MAX_VALUE ? Integer.MAX_VALUE : 4 * 12 * maxOutput.bytes() + 1024 * 1024;
        return new PythonProcess(sandbox.start(command), startTimeout, python, maxFrame);
    }

    public String pythonVersion() {
        return pythonVersion;
    }

    /** Sends one request frame; false when the process no longer reads its stdin (it ended). */
    public boolean send(ObjectNode request) {
        byte[] body;
        try {
            body = JSON.writeValueAsBytes(request);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        synchronized (stdinLock) {
            try {
                OutputStream in = execution.stdin();
                in.write(ByteBuffer.allocate(4).putInt(body.length).array());
                in.write(body);
                in.flush();
                return true;
            } catch (IOException e) {
                return false;
            }
        }
    }

    public static ObjectNode request(String type, long id) {
        ObjectNode o = JSON.createObjectNode();
        o.put("type", type);
        o.put("id", id);
        return o;
    }

    /**
     * Waits up to {@code wait} for the reply to request {@code id} ({@code -1}: the ready frame). Replies to
     * other requests (a late one after an interrupt) are dropped.
     */
    public Reply await(long id, Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        try {
            while (true) {
                long left = deadline - System.nanoTime();
                Optional<JsonNode> f = left <= 0 ? frames.poll() : frames.poll(left, TimeUnit.NANOSECONDS);
                if (f == null) {
                    return Reply.TIMEOUT;
                }
                if (f.isEmpty()) {
                    frames.add(f); // keep the end visible to a later await
                    return Reply.ENDED;
                }
                JsonNode n = f.get();
                if (id < 0 || n.path("id").asLong(Long.MIN_VALUE) == id) {
                    return new Reply(f, false);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            kill();
            throw new SandboxException("SandboxCodeInterpreter: interrupted while waiting for the cell; the Python"
                    + " process was killed", e);
        }
    }

    public boolean isAlive() {
        return execution.isAlive();
    }

    /** Kills the driver and everything it started; idempotent. */
    public void kill() {
        execution.kill();
        synchronized (stdinLock) {
            try {
                execution.stdin().close();
            } catch (IOException e) {
                // already closed by the process's end
            }
        }
    }

    /** {@code " with exit code N"} or {@code " (killed by signal N)"}, or {@code ""} when the end does not come within {@code wait}. */
    public String exitText(Duration wait) {
        try {
            ExecResult r = execution.onExit().get(wait.toMillis(), TimeUnit.MILLISECONDS);
            return r.signal().isPresent() ? " (killed by signal " + r.signal().getAsInt() + signalHint(r.signal().getAsInt()) + ")"
                    : " with exit code " + r.exitCode();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        } catch (Exception e) {
            return "";
        }
    }

    private static String signalHint(int signal) {
        return switch (signal) {
            // the kernel's OOM killer sends SIGKILL when the cgroup's memory.max is reached
            case 9 -> ": usually the sandbox's memory limit";
            case 11 -> ", SIGSEGV: a crash";
            case 6 -> ", SIGABRT: it aborted";
            case 31 -> ", SIGSYS: the sandbox's policy forbids a system call it made";
            default -> "";
        };
    }

    /** The last few KiB the driver wrote to its own stderr (its crash messages). */
    public String stderr() {
        synchronized (stderrTail) {
            return stderrTail.toString(StandardCharsets.UTF_8);
        }
    }

    private void readFrames() {
        try (DataInputStream in = new DataInputStream(execution.stdout())) {
            while (true) {
                int length = in.readInt();
                if (length < 0 || length > maxFrame) {
                    // not our framing: something wrote to the protocol fd; the process cannot be trusted on
                    throw new IOException("a frame of " + length + " bytes");
                }
                byte[] body = in.readNBytes(length);
                if (body.length < length) {
                    break;
                }
                queue(Optional.of(JSON.readTree(body)));
            }
        } catch (EOFException e) {
            // the process ended
        } catch (IOException | RuntimeException e) {
            synchronized (stderrTail) {
                stderrTail.writeBytes(("\n[sandbox4j: broken protocol stream: " + e.getMessage() + "]").getBytes(
                        StandardCharsets.UTF_8));
            }
            execution.kill();
        }
        queue(Optional.empty());
    }

    /** Adds a frame, dropping the oldest beyond {@link #MAX_QUEUED}; only this reader thread adds. */
    private void queue(Optional<JsonNode> frame) {
        while (frames.size() >= MAX_QUEUED) {
            frames.poll();
        }
        frames.add(frame);
    }

    private void drainStderr() {
        byte[] buf = new byte[8192];
        try (InputStream err = execution.stderr()) {
            int n;
            while ((n = err.read(buf)) >= 0) {
                synchronized (stderrTail) {
                    stderrTail.write(buf, 0, n);
                    if (stderrTail.size() > STDERR_TAIL * 2) {
                        byte[] all = stderrTail.toByteArray();
                        stderrTail.reset();
                        stderrTail.write(all, all.length - STDERR_TAIL, STDERR_TAIL);
                    }
                }
            }
        } catch (IOException e) {
            // the process ended
        }
    }

    private static String loadDriver() {
        try (InputStream in = PythonProcess.class.getResourceAsStream("interpreter_driver.py")) {
            if (in == null) {
                throw new IllegalStateException("interpreter_driver.py is missing from the sandbox4j-langchain4j jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
