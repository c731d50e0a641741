package dev.sandbox4j.container.internal.agent;

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
 * the temp dir ({@code sandbox4j-ctl-<session>--<sandboxId>}, mode 0755, the JVM's), shown read-only
 * inside at {@link #INSIDE}; per command a request directory with the command's script and five FIFOs,
 * and its id written to the agent's request FIFO. Thread-safe.
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
    private final AtomicLong counter = new AtomicLong();
    private final Object writeLock = new Object();
    private volatile FileChannel requests;
    private volatile FifoEnd readyEnd;
    private volatile boolean dead;

    private ExecAgent(Path dir) {
        this.dir = dir;
    }

    /** Makes the control directory and the request FIFO; the agent itself is started by the session. */
    public static ExecAgent prepare(String sandboxId) throws IOException {
        Path d = Path.of(System.getProperty("java.io.tmpdir")).toRealPath().resolve(SessionLabels.hostName("ctl", sandboxId));
        Files.createDirectory(d, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
        LibC.mkfifo(d.resolve("requests"), 0644);
        // written by the agent (the container's user), read by the JVM: others may write, nobody else read
        LibC.mkfifo(d.resolve("ready"), 0622);
        return new ExecAgent(d);
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
        Files.setPosixFilePermissions(req, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path cmd = req.resolve("cmd");
        Files.writeString(cmd, AgentScripts.command(argv, env, workdir, unset), StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(cmd, PosixFilePermissions.fromString("rw-r--r--"));
        LibC.mkfifo(req.resolve("in"), 0644);
        for (String f : List.of("out", "err", "pid", "exit")) {
            LibC.mkfifo(req.resolve(f), 0622);
        }
        AgentProcess p = new AgentProcess(req, tag, killer, lastResort);
        try {
            synchronized (writeLock) {
                ByteBuffer line = ByteBuffer.wrap((id + "\n").getBytes(StandardCharsets.US_ASCII));
                while (line.hasRemaining()) {
                    requests.write(line);
                }
            }
        } catch (IOException e) {
            dead = true;
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
