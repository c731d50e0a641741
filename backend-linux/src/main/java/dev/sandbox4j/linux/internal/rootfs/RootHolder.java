package dev.sandbox4j.linux.internal.rootfs;

import dev.sandbox4j.SandboxStartException;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The process that owns a sandbox's private mount namespace (and, when asked, an empty network namespace):
 * {@code setsid unshare --mount --propagation private [--net] -- /bin/sh -c <MountScript>}. It builds the
 * root, says ready, and then waits on its stdin, a pipe from this JVM. Execs enter its namespaces with
 * {@code nsenter}; nothing it mounts is ever visible in the host's mount table, and the namespace is gone
 * once the holder and every sandboxed process have exited.
 *
 * <p>When the JVM closes the pipe, or dies (the kernel closes it then), the holder runs its cleanup lines:
 * it kills the sandbox's cgroups and removes them, so that a crashed JVM leaves no running sandbox behind.
 * It runs in its own session, so a terminal's Ctrl-C to the JVM does not stop it before it has cleaned up.
 * Thread-safe.
 */
public final class RootHolder implements AutoCloseable {
    /** How long the root may take to build: a few dozen mount(8) runs. */
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
     * @param tools  setsid, unshare and the coreutils the script uses (found on {@code tools.searchPath()})
     * @param script from {@link MountScript}
     * @param ownNet also unshare the network namespace (it then has only a loopback, down)
     * @throws SandboxStartException with the script's failure line and mount's message; nothing is left running
     */
    public static RootHolder start(HostTools tools, String script, boolean ownNet) {
        List<String> argv = new ArrayList<>(List.of(tools.pathString("setsid"), tools.pathString("unshare"), "--mount",
                "--propagation", "private"));
        if (ownNet) {
            argv.add("--net");
        }
        argv.addAll(List.of("--", "/bin/sh", "-c", script, "sandbox4j-holder"));
        ProcessBuilder pb = new ProcessBuilder(argv).directory(new File("/")).redirectErrorStream(true);
        pb.environment().clear();
        pb.environment().put("PATH", tools.searchPath());
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new SandboxStartException("starting the sandbox's mount namespace (" + argv.get(1) + ") failed: " + e, e);
        }
        RootHolder h = new RootHolder(p);
        CompletableFuture<List<String>> output = CompletableFuture.supplyAsync(() -> readUntilReady(p));
        List<String> lines;
        try {
            lines = output.get(READY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            h.close();
            throw new SandboxStartException("the sandbox's root file system was not ready within " + READY_TIMEOUT.toSeconds()
                    + " s (" + e + ")", e);
        }
        if (lines.isEmpty() || !lines.get(lines.size() - 1).equals(MountScript.READY)) {
            h.close();
            throw new SandboxStartException("building the sandbox's root file system failed: "
                    + String.join(" | ", lines.isEmpty() ? List.of("(no output; exit " + exitOf(p) + ")") : lines));
        }
        return h;
    }

    private static List<String> readUntilReady(Process p) {
        List<String> lines = new ArrayList<>();
        try {
            BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            for (String l = r.readLine(); l != null; l = r.readLine()) {
                lines.add(l);
                if (l.equals(MountScript.READY) || l.startsWith(MountScript.FAIL) || lines.size() > 200) {
                    break;
                }
            }
        } catch (IOException e) {
            lines.add("(reading the holder failed: " + e.getMessage() + ")");
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
