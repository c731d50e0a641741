package dev.sandbox4j.container.internal.session;

import dev.sandbox4j.spi.SessionLabels;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Podman's exec monitors. Each exec session gets a {@code conmon} started with {@code --exit-delay 300},
 * which keeps it alive five minutes after the exec, and after the container is removed: a process of the
 * sandbox left behind. It names its container with {@code -n <name>}, and our container names carry the
 * session labels, so close() ends the monitors of its own container and the reaper those of dead
 * sessions, each by its PID. Stateless; no-op where /proc shows no such process (another user's engine).
 */
public final class ConmonLeftovers {
    private ConmonLeftovers() {
    }

    /**
     * Kills the exec monitors of the container {@code name} (or id {@code containerId}: an exec's
     * monitor names the container by {@code -c <id>}) and waits, up to 2 s, until they are gone, looking
     * again for one that started meanwhile; returns one line per process.
     */
    public static List<String> killFor(String name, String containerId) {
        Predicate<List<String>> mine = argv -> name.equals(after(argv, "-n")) || containerId.equals(after(argv, "-c"));
        List<String> killed = new ArrayList<>();
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(2);
        List<ProcessHandle> pending = new ArrayList<>();
        do {
            pending.removeIf(ConmonLeftovers::gone);
            killed.addAll(killMatching(mine, pending));
            if (pending.isEmpty()) {
                break;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        } while (System.nanoTime() < deadline);
        return killed;
    }

    /** Kills the exec monitors of sandbox4j containers whose owning JVM is gone. */
    public static List<String> reap() {
        return kill(n -> SessionLabels.sessionOf(n).map(s -> !SessionLabels.ownerAlive(s)).orElse(false));
    }

    private static List<String> kill(Predicate<String> containerName) {
        return killMatching(argv -> after(argv, "-n") != null && containerName.test(after(argv, "-n")), new ArrayList<>());
    }

    /** Exited (a zombie waiting for its parent's wait counts as gone: it runs nothing and holds nothing). */
    private static boolean gone(ProcessHandle h) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(h.pid()), "stat"));
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            return state == 'Z' || state == 'X';
        } catch (IOException | RuntimeException e) {
            return true;
        }
    }

    private static String after(List<String> argv, String option) {
        int i = argv.indexOf(option);
        return i > 0 && i + 1 < argv.size() ? argv.get(i + 1) : null;
    }

    /** SIGKILL to every live conmon whose argv matches; adds their handles to {@code killedHandles}. */
    private static List<String> killMatching(Predicate<List<String>> matches, List<ProcessHandle> killedHandles) {
        List<String> killed = new ArrayList<>();
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString().matches("\\d+"))) {
            for (Path p : procs) {
                List<String> argv = argv(p);
                // exec monitors only: the container's own conmon is the engine's, which needs it to stop and
                // remove the container (killed, the container's end is never recorded) and ends it then
                if (!argv.isEmpty() && argv.get(0).endsWith("/conmon") && argv.contains("--exec") && matches.test(argv)) {
                    long pid = Long.parseLong(p.getFileName().toString());
                    Optional<ProcessHandle> h = ProcessHandle.of(pid);
                    if (h.isPresent() && killedHandles.stream().noneMatch(k -> k.pid() == pid)) {
                        h.get().destroyForcibly();
                        killedHandles.add(h.get());
                        killed.add("conmon " + pid + " of container " + after(argv, "-n"));
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            System.getLogger(ConmonLeftovers.class.getName()).log(System.Logger.Level.DEBUG, "scanning /proc for conmon failed", e);
        }
        return killed;
    }

    private static List<String> argv(Path proc) {
        try {
            String raw = new String(Files.readAllBytes(proc.resolve("cmdline")), StandardCharsets.UTF_8);
            return raw.isEmpty() ? List.of() : List.of(raw.split("\0"));
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }
}
