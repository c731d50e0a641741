package dev.sandbox4j.vm.internal.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * QEMU's machine protocol on the process's stdin and stdout ({@code -qmp stdio}). A reader thread queues
 * the answers (events are dropped); {@link #execute} sends one command and waits, bounded, for its answer.
 * Thread-safe (commands are serialised).
 */
public final class Qmp implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNode EOF = JSON.createObjectNode().put("eof", true);

    private final OutputStream out;
    private final BlockingQueue<JsonNode> answers = new ArrayBlockingQueue<>(64);
    private volatile boolean closed;

    public Qmp(InputStream in, OutputStream out, String name) {
        this.out = out;
        Thread t = new Thread(() -> readLoop(in), "sandbox4j-vm-qmp-" + name);
        t.setDaemon(true);
        t.start();
    }

    /**
     * Enters command mode: sends qmp_capabilities at once (QEMU reads it after its greeting, so the start
     * saves a round trip), then checks the greeting and the answer.
     */
    public void handshake(Duration timeout) throws QmpException {
        handshake(timeout, List.of());
    }

    /**
     * Like {@link #handshake(Duration)}, and runs {@code then} in the same write: QEMU answers commands only
     * once its machine is built, so commands known while it starts cost no round trip of their own. Every
     * command runs; the first failure is thrown once all answered.
     */
    public synchronized void handshake(Duration timeout, List<VmPlan.QmpCommand> then) throws QmpException {
        StringBuilder batch = new StringBuilder("{\"execute\":\"qmp_capabilities\"}\n");
        append(batch, then);
        try {
            out.write(batch.toString().getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            throw new QmpException("QMP qmp_capabilities: QEMU is gone (" + e.getMessage() + ")");
        }
        JsonNode greeting = next(timeout, "the QMP greeting");
        if (!greeting.has("QMP")) {
            throw new QmpException("QEMU did not greet with QMP but sent " + greeting);
        }
        JsonNode a = next(timeout, "the answer to qmp_capabilities");
        QmpException first = a.has("error")
                ? new QmpException("QMP qmp_capabilities failed: " + a.get("error").path("desc").asText(a.toString())) : null;
        first = answers(then, timeout, first);
        if (first != null) {
            throw first;
        }
    }

    /** Runs a command; its "return" value, or a {@link QmpException} with QEMU's error text. */
    public synchronized JsonNode execute(String command, Map<String, ?> arguments, Duration timeout) throws QmpException {
        ObjectNode cmd = JSON.createObjectNode().put("execute", command);
        if (!arguments.isEmpty()) {
            cmd.set("arguments", JSON.valueToTree(arguments));
        }
        try {
            out.write((cmd + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            throw new QmpException("QMP " + command + ": QEMU is gone (" + e.getMessage() + ")");
        }
        JsonNode a = next(timeout, "the answer to " + command);
        if (a.has("error")) {
            throw new QmpException("QMP " + command + " failed: " + a.get("error").path("desc").asText(a.toString()));
        }
        return a.path("return");
    }

    /**
     * Runs several commands with one write: QEMU answers them in order, and a start saves the round trips.
     * Every command runs even when an earlier one failed; the first failure is thrown once all answered.
     */
    public synchronized void executeAll(List<VmPlan.QmpCommand> commands, Duration timeout) throws QmpException {
        StringBuilder batch = new StringBuilder();
        append(batch, commands);
        try {
            out.write(batch.toString().getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            throw new QmpException("QMP " + commands.get(0).command() + ": QEMU is gone (" + e.getMessage() + ")");
        }
        QmpException first = answers(commands, timeout, null);
        if (first != null) {
            throw first;
        }
    }

    private static void append(StringBuilder batch, List<VmPlan.QmpCommand> commands) {
        for (VmPlan.QmpCommand c : commands) {
            ObjectNode cmd = JSON.createObjectNode().put("execute", c.command());
            if (!c.arguments().isEmpty()) {
                cmd.set("arguments", JSON.valueToTree(c.arguments()));
            }
            batch.append(cmd).append('\n');
        }
    }

    /** Reads the answer of each command in order; the first failure, or {@code first} if that came before. */
    private QmpException answers(List<VmPlan.QmpCommand> commands, Duration timeout, QmpException first) throws QmpException {
        for (VmPlan.QmpCommand c : commands) {
            JsonNode a = next(timeout, "the answer to " + c.command());
            if (a.has("error") && first == null) {
                first = new QmpException("QMP " + c.command() + " failed: " + a.get("error").path("desc").asText(a.toString()));
            }
        }
        return first;
    }

    private JsonNode next(Duration timeout, String what) throws QmpException {
        try {
            JsonNode n = answers.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (n == null) {
                throw new QmpException("no " + what + " from QEMU within " + timeout);
            }
            if (n == EOF) {
                answers.offer(EOF);
                throw new QmpException("QEMU exited while waiting for " + what);
            }
            return n;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new QmpException("interrupted while waiting for " + what);
        }
    }

    private void readLoop(InputStream in) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode n;
                try {
                    n = JSON.readTree(line);
                } catch (IOException e) {
                    continue; // not QMP (QEMU printed something else on stdout)
                }
                if (!n.has("event")) {
                    answers.put(n);
                }
            }
        } catch (IOException | InterruptedException e) {
            // the process ended
        } finally {
            answers.clear();
            answers.offer(EOF);
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            try {
                out.close();
            } catch (IOException ignored) {
                // closing only
            }
        }
    }

    /** A QMP command failed or QEMU did not answer; the message says which and why. */
    public static final class QmpException extends Exception {
        private static final long serialVersionUID = 1L;

        public QmpException(String message) {
            super(message);
        }
    }
}
