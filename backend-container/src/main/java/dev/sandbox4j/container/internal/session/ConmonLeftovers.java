package dev.sandbox4j.container.internal.session;

import dev.sandbox4j.spi.SessionLabels;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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

    /** Kills the conmon processes of the container {@code name}; returns one line per process. */
    public static List<String> killFor(String name) {
        return kill(name::equals);
    }

    /** Kills the conmon processes of sandbox4j containers whose owning JVM is gone. */
    public static List<String> reap() {
        return kill(n -> SessionLabels.sessionOf(n).map(s -> !SessionLabels.ownerAlive(s)).orElse(false));
    }

    private static List<String> kill(Predicate<String> containerName) {
        List<String> killed = new ArrayList<>();
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString().matches("\\d+"))) {
            for (Path p : procs) {
                List<String> argv = argv(p);
                int n = argv.indexOf("-n");
                if (!argv.isEmpty() && argv.get(0).endsWith("/conmon") && n > 0 && n + 1 < argv.size()
                        && containerName.test(argv.get(n + 1))) {
                    long pid = Long.parseLong(p.getFileName().toString());
                    ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
                    killed.add("conmon " + pid + " of container " + argv.get(n + 1));
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
