package dev.sandbox4j.container.internal.engine;

import dev.sandbox4j.spi.SessionLabels;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Stream;

/**
 * Podman's Docker-compatible API when no Podman socket is running: {@code podman system service
 * --time=0 unix://<private socket>} started as a child of this JVM on first use, shared by this JVM's
 * podman sandboxes, and stopped when the last of them closes and at JVM exit. Its socket directory is
 * named {@code sandbox4j-podman-<session>--svc} in the temp dir, so {@link #reapOrphans()} can find and
 * stop the service of a JVM that died. Thread-safe (one lock guards the state).
 */
public final class PodmanService {
    private static final System.Logger LOG = System.getLogger(PodmanService.class.getName());
    static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    private static final Object LOCK = new Object();
    private static Process process;
    private static Path dir;
    private static Endpoint endpoint;
    private static int users;
    private static boolean hooked;

    private PodmanService() {
    }

    /** The private service's endpoint, started when needed; pair every call with {@link #release()}. */
    public static Endpoint acquire() {
        synchronized (LOCK) {
            if (process != null && !process.isAlive()) {
                cleanUpLocked();
            }
            if (process == null) {
                start();
            }
            users++;
            return endpoint;
        }
    }

    /** One user fewer; the last one stops the service. */
    public static void release() {
        synchronized (LOCK) {
            users = Math.max(0, users - 1);
            if (users == 0) {
                stopLocked();
            }
        }
    }

    /** The pid of the running private service, if any (tests kill it to see the sandbox fail clearly). */
    public static OptionalLong pid() {
        synchronized (LOCK) {
            return process != null && process.isAlive() ? OptionalLong.of(process.pid()) : OptionalLong.empty();
        }
    }

    private static void start() {
        try {
            dir = Path.of(System.getProperty("java.io.tmpdir")).toRealPath().resolve(SessionLabels.hostName("podman", "svc"));
            Files.createDirectories(dir);
            Path socket = dir.resolve("podman.sock");
            Path log = dir.resolve("service.log");
            // its own directory as the working directory: what it starts inherits it (conmon wrote an empty
            // "oom" file into the JVM's working directory when a container was OOM-killed)
            process = new ProcessBuilder("podman", "system", "service", "--time=0", "unix://" + socket)
                    .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
            endpoint = Endpoint.unix(socket, "private podman system service, pid " + process.pid());
            hookOnce();
            long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
            while (EngineSockets.problem(endpoint, "Podman", "").isPresent()) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    String out = Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8).strip() : "";
                    boolean died = !process.isAlive();
                    stopLocked();
                    throw new EngineException("podman: the private API service (podman system service) "
                            + (died ? "exited at start" : "did not open its socket within " + START_TIMEOUT.toSeconds() + " s")
                            + (out.isEmpty() ? "" : ": " + out) + "; fix: check that 'podman info' works for this user, or run"
                            + " 'podman system service' yourself and name its socket with option podman.host");
                }
                Thread.sleep(20);
            }
        } catch (IOException e) {
            stopLocked();
            throw new EngineException("podman: cannot start 'podman system service': " + e
                    + "; fix: install podman (apt-get install podman) or name a running service with option podman.host", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopLocked();
            throw new EngineException("interrupted while starting podman system service", e);
        }
    }

    private static void stopLocked() {
        if (process != null) {
            process.destroy();
            try {
                if (!process.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(5, java.util.concurrent.TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
        cleanUpLocked();
    }

    private static void cleanUpLocked() {
        process = null;
        endpoint = null;
        users = 0;
        if (dir != null) {
            deleteTree(dir);
            dir = null;
        }
    }

    private static void hookOnce() {
        if (!hooked) {
            hooked = true;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                synchronized (LOCK) {
                    stopLocked();
                }
            }, "sandbox4j-podman-service-stop"));
        }
    }

    /**
     * Stops the private services, and deletes the socket directories, of JVMs that died; never touches a
     * live JVM's. Returns one line per thing removed.
     */
    public static List<String> reapOrphans() {
        List<String> removed = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : (Iterable<Path>) procs::iterator) {
                String name = p.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                String cmd;
                try {
                    cmd = new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8);
                } catch (IOException gone) {
                    continue;
                }
                if (!cmd.contains("system\0service\0") || !cmd.contains(SessionLabels.NAME_PREFIX + "podman-")) {
                    continue;
                }
                sessionInCommand(cmd).filter(s -> !SessionLabels.ownerAlive(s)).ifPresent(s -> {
                    ProcessHandle.of(Long.parseLong(name)).ifPresent(ProcessHandle::destroyForcibly);
                    removed.add("podman service pid " + name + " (session " + s + ")");
                });
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "cannot list /proc", e);
        }
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(Path.of(System.getProperty("java.io.tmpdir")),
                SessionLabels.NAME_PREFIX + "podman-*")) {
            for (Path d : dirs) {
                Optional<String> s = SessionLabels.sessionOf(d.getFileName().toString());
                if (s.isPresent() && !SessionLabels.ownerAlive(s.get())) {
                    deleteTree(d);
                    removed.add("podman service dir " + d + " (session " + s.get() + ")");
                }
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "cannot list the temp dir", e);
        }
        return removed;
    }

    private static Optional<String> sessionInCommand(String cmd) {
        for (String arg : cmd.split("\0")) {
            int i = arg.indexOf(SessionLabels.NAME_PREFIX + "podman-");
            if (i >= 0) {
                String rest = arg.substring(i);
                int slash = rest.indexOf('/');
                return SessionLabels.sessionOf(slash < 0 ? rest : rest.substring(0, slash));
            }
        }
        return Optional.empty();
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort: a socket the service still holds goes with the next reap
                }
            });
        } catch (IOException ignored) {
            // already gone
        }
    }
}
