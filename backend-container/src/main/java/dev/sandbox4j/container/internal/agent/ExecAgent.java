package dev.sandbox4j.container.internal.agent;

import dev.sandbox4j.spi.HostIds;
import dev.sandbox4j.spi.SandboxProcess;
import dev.sandbox4j.spi.SessionLabels;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiPredicate;
import java.util.stream.Stream;

/**
 * The JVM's side of the in-container exec agent ({@link AgentScripts}): a private control directory in
 * the temp dir ({@code sandbox4j-ctl-<session>--<sandboxId>}, mode 0711, the JVM's), shown inside at
 * {@link #INSIDE}; per command a request directory (0711, the JVM's) with the command's script and five
 * FIFOs, and its id written to the agent's request FIFO. Every file and FIFO in it belongs to the
 * sandbox's host ids with mode 0600: the sandbox opens them by name (the directories grant search only,
 * so it can neither list, create, rename nor replace an entry), the JVM (their owner, or root) opens them
 * too, and no other host user can read a command's stdin or write its output. Besides the request FIFO
 * the directory holds {@code ready} (the agent's calibration) and {@code alive}, which the agent holds open
 * while it lives: its end tells the JVM at once that the agent died ({@link #lost()}; a command runs as the
 * same uid and can kill it), so that no request goes to a dead agent. Thread-safe.
 */
public final class ExecAgent implements AutoCloseable {
    /** A process of the agent that close() can end at once. */
    public interface Abortable {
        void abort();

        /**
         * Fails the process's exit with {@code why} (the engine went away under it): the caller's exec
         * ends with that error, and the core then kills the process's tree.
         */
        void fail(RuntimeException why);
    }

    /** A process of the agent that tells when the command's side opened its stdin FIFO. */
    public interface StdinOpening {
        /**
         * Completes when the JVM's end of the command's stdin FIFO is open, which it is once the command's
         * shell opened the other end; exceptionally when that open failed or was aborted.
         */
        CompletableFuture<Void> stdinOpened();
    }

    /** Where the control directory appears inside the container. */
    public static final String INSIDE = "/.sandbox4j/ctl";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path dir;
    private final HostIds ids;
    /** Whether the files are handed to {@link #ids} (a root JVM; otherwise they are the JVM's own ids). */
    private final boolean handOver;
    /** What every command runs under (the seccomp helper); empty: nothing. */
    private volatile List<String> commandPrefix = List.of();
    private final AtomicLong counter = new AtomicLong();
    private final Object writeLock = new Object();
    private volatile FileChannel requests;
    private volatile FifoEnd readyEnd;
    private volatile FifoEnd aliveEnd;
    private volatile boolean dead;
    /** Completes when the running agent died (its end of the {@code alive} FIFO closed); renewed by reset(). */
    private volatile java.util.concurrent.CompletableFuture<Void> gone = new java.util.concurrent.CompletableFuture<>();
    /** The agent ran (connected) and then died. */
    private volatile boolean lost;

    private ExecAgent(Path dir, HostIds ids, boolean handOver) {
        this.dir = dir;
        this.ids = ids;
        this.handOver = handOver;
    }

    /**
     * Makes the control directory and the request FIFO; the agent itself is started by the session.
     *
     * @param ids the sandbox's host ids, which the agent runs as
     */
    public static ExecAgent prepare(String sandboxId, HostIds ids) throws IOException {
        Path d = Path.of(System.getProperty("java.io.tmpdir")).toRealPath().resolve(SessionLabels.hostName("ctl", sandboxId));
        Files.createDirectory(d, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx--x--x")));
        Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwx--x--x"));
        int jvm = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        ExecAgent agent = new ExecAgent(d, ids, jvm == 0 && ids.uid() != jvm);
        try {
            agent.fifo(d.resolve("requests"));
            agent.fifo(d.resolve("ready"));
            agent.fifo(d.resolve("alive"));
        } catch (IOException | RuntimeException e) {
            deleteDir(d);
            throw e;
        }
        return agent;
    }

    /** A FIFO of mode 0600 that belongs to the sandbox's ids. */
    private void fifo(Path p) throws IOException {
        LibC.mkfifo(p, 0600);
        own(p);
    }

    /** Gives {@code p}, which the JVM just made in its own directory, to the sandbox's ids. */
    private void own(Path p) throws IOException {
        if (handOver) {
            Files.setAttribute(p, "unix:uid", ids.uid(), LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(p, "unix:gid", ids.gid(), LinkOption.NOFOLLOW_LINKS);
        }
    }

    /**
     * Runs every command of this agent under {@code prefix}: a program that takes a path to execute and its
     * argv (the seccomp helper and its filter program).
     */
    public ExecAgent commandPrefix(List<String> prefix) {
        this.commandPrefix = List.copyOf(prefix);
        return this;
    }

    /** The host control directory, to bind-mount read-only at {@link #INSIDE}. */
    public Path hostDir() {
        return dir;
    }

    /** The line that ends the agent's calibration output. */
    public static final String READY = AgentScripts.READY;

    /**
     * The argv of the agent, the container's main process after its init: it writes {@code export -p},
     * then {@link #READY}, to the {@code ready} FIFO, then serves.
     */
    public static List<String> agentArgv() {
        return List.of("/bin/sh", "-c", AgentScripts.AGENT, "sandbox4j-agent", INSIDE);
    }

    /**
     * Starts reading the agent's calibration (what it wrote to the {@code ready} FIFO, at most 64 KiB);
     * call before the container starts. {@link #abortCalibration()} gives up on it.
     */
    public java.util.concurrent.CompletableFuture<String> calibration() {
        watchAlive();
        FifoEnd end = FifoEnd.open(dir.resolve("ready"), false);
        readyEnd = end;
        return end.channel().thenApplyAsync(ch -> {
            try (ch) {
                java.io.ByteArrayOutputStream text = new java.io.ByteArrayOutputStream();
                ByteBuffer buf = ByteBuffer.allocate(8192);
                while (ch.read(buf) >= 0 && text.size() < 64 * 1024) {
                    text.write(buf.array(), 0, buf.position());
                    buf.clear();
                }
                return text.toString(StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, FifoEnd.threads());
    }

    /**
     * Opens the JVM's end of the {@code alive} FIFO, which the agent holds open while it lives, and reads it
     * to its end: then the agent is dead (killed, as a command's {@code kill -9 -1} kills it), and no request
     * is sent to it any more.
     */
    private void watchAlive() {
        java.util.concurrent.CompletableFuture<Void> mine = gone;
        FifoEnd end = FifoEnd.open(dir.resolve("alive"), false);
        aliveEnd = end;
        end.channel().thenAcceptAsync(ch -> {
            try (ch) {
                ByteBuffer buf = ByteBuffer.allocate(64);
                while (ch.read(buf) >= 0) {
                    buf.clear();
                }
            } catch (IOException e) {
                // closed under us (reset, close): the agent's end is what counts, and it is gone or going
            }
            if (gone == mine && requests != null) {
                lost = true;
                dead = true;
            }
            mine.complete(null);
        }, FifoEnd.threads()).exceptionally(t -> {
            mine.complete(null);
            return null;
        });
    }

    /** True when the agent ran and then died (not: it never started); reset() forgets it. */
    public boolean lost() {
        return lost;
    }

    /** Releases a pending {@link #calibration()} (the agent never opened its end). */
    public void abortCalibration() {
        FifoEnd end = readyEnd;
        if (end != null) {
            end.abort();
        }
    }

    /** Opens the request FIFO once the agent runs; false when it did not open its end within the time. */
    public boolean connect(long timeoutMs) {
        FifoEnd end = FifoEnd.open(dir.resolve("requests"), true);
        try {
            requests = end.channel().get(timeoutMs, TimeUnit.MILLISECONDS);
            return true;
        } catch (Exception e) {
            end.abort();
            dead = true;
            return false;
        }
    }

    /**
     * Forgets the agent that ran (its container stopped): the next {@link #calibration()} and
     * {@link #connect} are those of the agent the container starts again, on the same directory and FIFOs.
     */
    public void reset() {
        abortCalibration();
        FifoEnd alive = aliveEnd;
        java.util.concurrent.CompletableFuture<Void> was = gone;
        gone = new java.util.concurrent.CompletableFuture<>();
        if (alive != null) {
            alive.abort();
        }
        was.complete(null);
        lost = false;
        FileChannel r = requests;
        requests = null;
        if (r != null) {
            try {
                r.close();
            } catch (IOException ignored) {
                // the reader is gone already
            }
        }
        dead = false;
    }

    /** True while requests can be sent. */
    public boolean alive() {
        return !dead && requests != null;
    }

    /**
     * Starts a command through the agent.
     *
     * @param killer     runs the kill script for a pid (true when it ran)
     * @param lastResort kills everything when the kill script cannot run
     * @throws IOException when the agent is gone (the caller then uses the engine's exec)
     */
    public SandboxProcess spawn(List<String> argv, Map<String, String> env, String workdir, Set<String> unset, String tag,
                                BiPredicate<Long, String> killer, Runnable lastResort) throws IOException {
        if (!alive()) {
            throw new IOException("the exec agent is not running");
        }
        String id = Long.toString(counter.incrementAndGet(), 36) + HexFormat.of().formatHex(randomBytes());
        Path req = dir.resolve(id);
        Files.createDirectory(req);
        Files.setPosixFilePermissions(req, PosixFilePermissions.fromString("rwx--x--x"));
        Path cmd = req.resolve("cmd");
        // 0600 from its creation: the script holds the command's environment
        Files.createFile(cmd, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(cmd, AgentScripts.command(argv, env, workdir, unset, commandPrefix), StandardCharsets.UTF_8);
        own(cmd);
        for (String f : List.of("in", "out", "err", "pid", "exit")) {
            fifo(req.resolve(f));
        }
        AgentProcess p = new AgentProcess(req, tag, killer, lastResort, gone);
        try {
            synchronized (writeLock) {
                ByteBuffer line = ByteBuffer.wrap((id + "\n").getBytes(StandardCharsets.US_ASCII));
                while (line.hasRemaining()) {
                    requests.write(line);
                }
            }
        } catch (IOException e) {
            dead = true;
            lost = true;
            p.abort();
            throw new IOException("the exec agent is gone: " + e.getMessage(), e);
        }
        return p;
    }

    private static byte[] randomBytes() {
        byte[] b = new byte[6];
        RANDOM.nextBytes(b);
        return b;
    }

    /** Ends the agent (EOF on its request FIFO) and removes the control directory. */
    @Override
    public void close() {
        dead = true;
        abortCalibration();
        FifoEnd alive = aliveEnd;
        if (alive != null) {
            alive.abort();
        }
        FileChannel r = requests;
        if (r != null) {
            try {
                r.close();
            } catch (IOException ignored) {
                // gone already
            }
        }
        deleteDir(dir);
    }

    /** Deletes the control directories of JVMs that died; one line per directory. */
    public static List<String> reapOrphans() {
        List<String> removed = new java.util.ArrayList<>();
        try (var dirs = Files.newDirectoryStream(Path.of(System.getProperty("java.io.tmpdir")), SessionLabels.NAME_PREFIX + "ctl-*")) {
            for (Path d : dirs) {
                var session = SessionLabels.sessionOf(d.getFileName().toString());
                if (session.isPresent() && !SessionLabels.ownerAlive(session.get())) {
                    deleteDir(d);
                    removed.add("exec agent dir " + d + " (session " + session.get() + ")");
                }
            }
        } catch (IOException e) {
            // no temp dir to look at: nothing to reap
        }
        return removed;
    }

    /** Deletes {@code root} and everything under it, best effort, never following a link; never throws. */
    public static void deleteDir(Path root) {
        if (!Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort: the reaper removes a control dir whose JVM is gone
                }
            });
        } catch (IOException | java.io.UncheckedIOException ignored) {
            // gone already, or an entry vanished under the walk (a concurrent delete): what is left, if
            // anything, is the reaper's
        }
    }
}
