package dev.sandbox4j.linux.internal.rootfs;

import dev.sandbox4j.SandboxStartException;
import dev.sandbox4j.linux.internal.host.ArgsFile;
import dev.sandbox4j.linux.internal.plan.SandboxPlan;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The process that builds a sandbox's root file system and owns its private mount namespace (and, when asked,
 * an empty network namespace): {@code s4j-launch --build-root FILE} (see s4j-root.c), the launcher's C view
 * builder, which verifies and clones every pinned bind source, builds the root from {@link RootArgs}, says
 * ready and then waits on its stdin, a pipe from this JVM. Execs enter its namespaces with {@code nsenter};
 * nothing it mounts is ever visible in the host's mount table, and the namespace is gone once the holder and
 * every sandboxed process have exited.
 *
 * <p>When the JVM closes the pipe, or dies (the kernel closes it then), the holder kills the sandbox's cgroups
 * and removes them (with the engine's directories), so that a crashed JVM leaves no running sandbox behind.
 * It runs in a session of its own, so a terminal's Ctrl-C to the JVM does not stop it before it has cleaned
 * up. Thread-safe.
 */
public final class RootHolder implements AutoCloseable {
    /** The holder's line once the root is complete. */
    public static final String READY = "S4J-READY";
    /** The start of the holder's line when a step failed. */
    public static final String FAIL = "S4J-FAIL ";
    /** How long the root may take to build: a few dozen binds. */
    static final Duration READY_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration EXIT_WAIT = Duration.ofSeconds(10);

    private final Process process;
    private final OutputStream lifeline;
    private boolean closed;

    private RootHolder(Process process) {
        this.process = process;
        this.lifeline = process.getOutputStream();
    }

    /**
     * Starts the holder and waits until the root is built.
     *
     * @param launcher the verified s4j-launch
     * @param argsFile a new file for the arguments (the launcher deletes it once read)
     * @param args     from {@link RootArgs}
     * @param plan     the plan the arguments come from, which explains a failure about a bind source
     * @param backend  the backend's name, for messages
     * @throws SandboxStartException with the launcher's failure; nothing is left running
     */
    public static RootHolder start(Path launcher, Path argsFile, List<String> args, SandboxPlan plan, String backend) {
        ArgsFile.write(argsFile, args, backend + ": the root builder's arguments");
        Process p;
        try {
            ProcessBuilder pb = new ProcessBuilder(launcher.toString(), "--build-root", argsFile.toString())
                    .directory(new File("/")).redirectErrorStream(true);
            pb.environment().clear();
            p = pb.start();
        } catch (IOException e) {
            deleteQuietly(argsFile);
            throw new SandboxStartException(backend + ": starting the root builder " + launcher + " failed: " + e, e);
        }
        RootHolder h = new RootHolder(p);
        try {
            List<String> lines;
            try {
                lines = CompletableFuture.supplyAsync(() -> readUntilReady(p)).get(READY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                h.close();
                throw new SandboxStartException(backend + ": the sandbox's root file system was not ready within "
                        + READY_TIMEOUT.toSeconds() + " s (" + e + ")", e);
            }
            String last = lines.isEmpty() ? "" : lines.get(lines.size() - 1);
            if (!last.equals(READY)) {
                h.close();
                String failure = last.startsWith(FAIL) ? last.substring(FAIL.length())
                        : lines.isEmpty() ? "no output (exit " + exitOf(p) + ")" : String.join(" | ", lines);
                throw new SandboxStartException(backend + ": building the sandbox's root file system failed at " + failure
                        + plan.explainSourceFailure(failure).map(x -> ". " + x).orElse("") + "; nothing ran");
            }
            return h;
        } finally {
            deleteQuietly(argsFile);
        }
    }

    private static List<String> readUntilReady(Process p) {
        List<String> lines = new ArrayList<>();
        try {
            BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            for (String l = r.readLine(); l != null; l = r.readLine()) {
                lines.add(l);
                if (l.equals(READY) || l.startsWith(FAIL) || lines.size() > 200) {
                    break;
                }
            }
        } catch (IOException e) {
            lines.add("(reading the root builder failed: " + e.getMessage() + ")");
        }
        return lines;
    }

    private static String exitOf(Process p) {
        try {
            return p.waitFor(1, TimeUnit.SECONDS) ? Integer.toString(p.exitValue()) : "still running";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // in the sandbox's private directory, which close() deletes
        }
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** {@code /proc/<holder>/ns/<kind>} ({@code mnt}, {@code net}). */
    public Path namespace(String kind) {
        return Path.of("/proc", Long.toString(pid()), "ns", kind);
    }

    /** {@code path} as seen through the holder's root: the way into its mount namespace's tree. */
    public Path throughRoot(Path path) {
        return Path.of("/proc/" + pid() + "/root" + path);
    }

    /** Closes the lifeline and waits (bounded) for the holder's cleanup; kills it if it hangs. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            lifeline.close();
        } catch (IOException ignored) {
            // the holder is gone already
        }
        try {
            if (!process.waitFor(EXIT_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor(EXIT_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
