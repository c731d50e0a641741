package dev.sandbox4j.vm.internal.agent;

import dev.sandbox4j.DataSize;
import dev.sandbox4j.ExecException;
import dev.sandbox4j.ResourceUsage;
import dev.sandbox4j.spi.ProcessExit;
import dev.sandbox4j.spi.SandboxProcess;
import dev.sandbox4j.vm.internal.protocol.AgentError;
import dev.sandbox4j.vm.internal.protocol.AgentProtocolException;
import dev.sandbox4j.vm.internal.protocol.ExitReport;
import dev.sandbox4j.vm.internal.protocol.Frame;
import dev.sandbox4j.vm.internal.protocol.FrameCodec;
import dev.sandbox4j.vm.internal.protocol.FrameType;
import dev.sandbox4j.vm.internal.protocol.PayloadReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * One exec inside the guest, seen from the host: stdin becomes STDIN frames, STDOUT/STDERR frames fill the
 * two streams, EXIT completes {@link #onExit()}, {@link #killTree()} sends KILL (the agent kills the exec's
 * cgroup). When the connection dies every stream ends and the exit fails, so nothing waits forever.
 * Thread-safe.
 */
public final class AgentExec implements SandboxProcess {
    private static final int SIGKILL = 9;
    private final AgentConnection connection;
    private final int id;
    private final ChunkInputStream stdout = new ChunkInputStream();
    private final ChunkInputStream stderr = new ChunkInputStream();
    private final CompletableFuture<Integer> started = new CompletableFuture<>();
    private final CompletableFuture<ProcessExit> exit = new CompletableFuture<>();
    private final CompletableFuture<ExitReport> report = new CompletableFuture<>();
    private final Consumer<ExitReport> onReport;
    private final OutputStream stdin;
    private volatile boolean stdoutDone;
    private volatile boolean stderrDone;

    AgentExec(AgentConnection connection, int id, Consumer<ExitReport> onReport) {
        this.connection = connection;
        this.id = id;
        this.onReport = onReport;
        this.stdin = new StdinStream();
    }

    int id() {
        return id;
    }

    CompletableFuture<Integer> started() {
        return started;
    }

    /** The agent's EXIT report with its flags (timeout, memory, pids), when it came. */
    public CompletableFuture<ExitReport> report() {
        return report;
    }

    @Override
    public OutputStream stdin() {
        return stdin;
    }

    @Override
    public InputStream stdout() {
        return stdout;
    }

    @Override
    public InputStream stderr() {
        return stderr;
    }

    @Override
    public CompletableFuture<ProcessExit> onExit() {
        return exit;
    }

    @Override
    public void killTree() {
        if (!exit.isDone() || !stdoutDone || !stderrDone) {
            // the watch first: a send that blocks on a guest that no longer reads must not delay it
            connection.expectEnd(this);
            connection.sendQuietly(Frame.of(FrameType.KILL, id));
        }
    }

    /** True once EXIT and both ends of output have arrived (or the connection failed them). */
    boolean finished() {
        return exit.isDone() && stdoutDone && stderrDone;
    }

    /** Called by the reader thread; true when this exec is finished and its id can be forgotten. */
    boolean accept(Frame f) throws InterruptedException {
        switch (f.type()) {
            case STARTED -> started.complete((int) new PayloadReader(f).u32());
            case ERROR -> {
                AgentError e = AgentError.decode(f);
                fail(new ExecException("the guest agent could not start the command: " + e.message()));
                return true;
            }
            case STDOUT -> {
                if (f.payload().length == 0) {
                    stdoutDone = true;
                    stdout.finish();
                } else {
                    stdout.append(f.payload());
                }
            }
            case STDERR -> {
                if (f.payload().length == 0) {
                    stderrDone = true;
                    stderr.finish();
                } else {
                    stderr.append(f.payload());
                }
            }
            case EXIT -> {
                ExitReport r = ExitReport.decode(f);
                report.complete(r);
                onReport.accept(r);
                exit.complete(new ProcessExit(r.status(), r.signaled() ? OptionalInt.of(r.code()) : OptionalInt.empty(),
                        new ResourceUsage(Optional.of(r.cpuTime()), Optional.of(DataSize.ofKiB(r.maxRssKiB())))));
            }
            default -> throw new AgentProtocolException(
                    "the agent sent " + f + " to an exec; PROTOCOL.md allows STARTED, ERROR, STDOUT, STDERR and EXIT");
        }
        return exit.isDone() && stdoutDone && stderrDone;
    }

    /**
     * The guest did not confirm a KILL and its VM is being stopped: the exec ends as killed by SIGKILL (what
     * stopping the VM does to it) and both streams end; {@code reason} goes to the log.
     */
    void forceKilled(String reason) {
        System.getLogger("dev.sandbox4j.vm").log(System.Logger.Level.WARNING, "exec #" + Integer.toUnsignedString(id) + ": " + reason);
        exit.complete(new ProcessExit(128 + SIGKILL, OptionalInt.of(SIGKILL), ResourceUsage.unknown()));
        report.completeExceptionally(new ExecException(reason));
        stdout.finish();
        stderr.finish();
        stdoutDone = true;
        stderrDone = true;
    }

    /** The connection ended or broke: end the streams and fail the exit, so that no caller waits forever. */
    void fail(ExecException why) {
        started.completeExceptionally(why);
        exit.completeExceptionally(why);
        report.completeExceptionally(why);
        stdout.finish();
        stderr.finish();
        stdoutDone = true;
        stderrDone = true;
    }

    private final class StdinStream extends OutputStream {
        private boolean closed;

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) throws IOException {
            if (closed) {
                throw new IOException("stdin of the guest command is closed");
            }
            for (int at = off; at < off + len; at += FrameCodec.MAX_PAYLOAD) {
                int n = Math.min(FrameCodec.MAX_PAYLOAD, off + len - at);
                if (n > 0) {
                    connection.send(new Frame(FrameType.STDIN, id, Arrays.copyOfRange(b, at, at + n)));
                }
            }
        }

        @Override
        public synchronized void close() throws IOException {
            if (!closed) {
                closed = true;
                if (!exit.isDone()) {
                    connection.sendQuietly(Frame.of(FrameType.STDIN, id));
                }
            }
        }
    }
}
