package dev.sandbox4j.container.internal.agent;

import dev.sandbox4j.spi.ProcessExit;
import dev.sandbox4j.spi.SandboxProcess;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiPredicate;

/**
 * A command the agent runs: its three streams, its pid and its exit status are FIFOs in its request
 * directory. The kill goes through the engine (the session's kill script), as for an engine exec.
 * Thread-safe.
 */
final class AgentProcess implements SandboxProcess, ExecAgent.Abortable, ExecAgent.StdinOpening {
    private static final int KILLED = 128 + 9;
    /** How long a command whose wrapper was killed waits to learn whether the agent died with it. */
    static final java.time.Duration AGENT_DEATH_WAIT = java.time.Duration.ofMillis(300);

    private final Path dir;
    private final String tag;
    private final FifoEnd in;
    private final FifoEnd out;
    private final FifoEnd err;
    private final FifoEnd pidEnd;
    private final FifoEnd exitEnd;
    private final CompletableFuture<Long> pid = new CompletableFuture<>();
    private final CompletableFuture<ProcessExit> exit = new CompletableFuture<>();
    private final AtomicBoolean killing = new AtomicBoolean();
    private final BiPredicate<Long, String> killer;
    private final Runnable lastResort;

    /**
     * @param agentGone completes when the agent that serves this command died: a command whose wrapper died
     *                  with it (its exit FIFO ends with no status) ends once the agent's death is known too (or
     *                  after {@link #AGENT_DEATH_WAIT}), so that the next command is not sent to the dead agent
     */
    AgentProcess(Path dir, String tag, BiPredicate<Long, String> killer, Runnable lastResort,
                 CompletableFuture<Void> agentGone) {
        this.dir = dir;
        this.tag = tag;
        this.killer = killer;
        this.lastResort = lastResort;
        in = FifoEnd.open(dir.resolve("in"), true);
        out = FifoEnd.open(dir.resolve("out"), false);
        err = FifoEnd.open(dir.resolve("err"), false);
        pidEnd = FifoEnd.open(dir.resolve("pid"), false);
        exitEnd = FifoEnd.open(dir.resolve("exit"), false);
        pidEnd.channel().thenAcceptAsync(ch -> pid.complete(readNumber(ch).orElse(-1L)), FifoEnd.threads())
                .exceptionally(t -> {
                    pid.complete(-1L);
                    return null;
                });
        // The request directory goes only once the pid was read too: a fast command can exit before the
        // agent reports its pid, and deleting the directory then left the agent blocked for good in
        // opening a pid FIFO whose reader could no longer be opened (every later command waited behind it)
        exitEnd.channel().thenAcceptAsync(ch -> {
            java.util.OptionalLong status = readNumber(ch);
            if (status.isEmpty() && !killing.get()) {
                // the wrapper was killed from inside, by a kill that likely reached the agent too (same uid): learn
                // that first (a kill of ours, killTree, kills the wrapper with the tree, not the agent)
                try {
                    agentGone.get(AGENT_DEATH_WAIT.toMillis(), TimeUnit.MILLISECONDS);
                } catch (TimeoutException | java.util.concurrent.ExecutionException e) {
                    // the agent lives on: only the wrapper was killed
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            exit.complete(ProcessExit.of((int) status.orElse(KILLED)));
            pid.whenComplete((x, t) -> cleanUp());
        }, FifoEnd.threads()).exceptionally(t -> {
            exit.complete(ProcessExit.of(KILLED));
            pid.whenComplete((x, e) -> cleanUp());
            return null;
        });
    }

    private static java.util.OptionalLong readNumber(FileChannel ch) {
        try (ch) {
            ByteBuffer buf = ByteBuffer.allocate(32);
            while (buf.hasRemaining() && ch.read(buf) >= 0) {
                // read to EOF: the writer closes after one line
            }
            String s = new String(buf.array(), 0, buf.position(), StandardCharsets.US_ASCII).strip();
            return s.matches("\\d+") ? java.util.OptionalLong.of(Long.parseLong(s)) : java.util.OptionalLong.empty();
        } catch (IOException e) {
            return java.util.OptionalLong.empty();
        }
    }

    @Override
    public CompletableFuture<Void> stdinOpened() {
        return in.channel().thenApply(ch -> null);
    }

    @Override
    public OutputStream stdin() {
        return new OutputStream() {
            private boolean closed;

            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public synchronized void write(byte[] b, int off, int len) throws IOException {
                if (closed) {
                    throw new IOException("stdin of " + tag + " is closed");
                }
                ByteBuffer buf = ByteBuffer.wrap(b, off, len);
                FileChannel ch = in.get();
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
            }

            @Override
            public synchronized void close() {
                if (!closed) {
                    closed = true;
                    in.closeWhenOpen();
                }
            }
        };
    }

    @Override
    public InputStream stdout() {
        return stream(out);
    }

    @Override
    public InputStream stderr() {
        return stream(err);
    }

    private static InputStream stream(FifoEnd end) {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                int n = read(one, 0, 1);
                return n < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                FileChannel ch;
                try {
                    ch = end.get();
                } catch (IOException aborted) {
                    return -1;
                }
                try {
                    return ch.read(ByteBuffer.wrap(b, off, len));
                } catch (java.nio.channels.ClosedChannelException closed) {
                    return -1;
                }
            }

            @Override
            public void close() {
                end.closeWhenOpen();
            }
        };
    }

    @Override
    public CompletableFuture<ProcessExit> onExit() {
        return exit;
    }

    @Override
    public void killTree() {
        if (!killing.compareAndSet(false, true)) {
            return;
        }
        long p = -1;
        try {
            p = pid.get(2, TimeUnit.SECONDS);
        } catch (TimeoutException | java.util.concurrent.ExecutionException e) {
            // the agent never reported it
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        boolean killed = p > 0 && killer.test(p, tag);
        if (!killed && !exit.isDone()) {
            lastResort.run();
        }
        try {
            exit.get(1, TimeUnit.SECONDS);
        } catch (TimeoutException | java.util.concurrent.ExecutionException e) {
            // ended below
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        abort();
    }

    @Override
    public void fail(RuntimeException why) {
        exit.completeExceptionally(why);
    }

    /** Ends every stream and the exit now (137 unless known); idempotent. */
    @Override
    public void abort() {
        for (FifoEnd f : new FifoEnd[] {in, out, err, pidEnd, exitEnd}) {
            f.abort();
        }
        exit.complete(ProcessExit.of(KILLED));
        cleanUp();
    }

    private void cleanUp() {
        ExecAgent.deleteDir(dir);
    }
}
