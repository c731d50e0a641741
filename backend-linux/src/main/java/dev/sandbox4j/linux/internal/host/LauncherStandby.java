package dev.sandbox4j.linux.internal.host;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * A session's next launcher, started before its exec is asked for ({@code s4j-launch --standby} or
 * {@code --bwrap-standby}, see standby_wait in s4j-launch.c).
 * Starting a process from the JVM costs 1 to 3 ms, and joining a cgroup through cgroup.procs (every cgroup
 * v2 join) makes the kernel wait for an RCU grace period, 5 to 15 ms on a busy host (v1 cgroups are joined
 * without one: {@code CgroupSandbox.joinFiles()}); a standby started when the session opens spends both
 * while the JVM still prepares the sandbox, so the first exec only writes its arguments file and sends its
 * path ({@link #release}). Later execs start a launcher on demand, but from the second exec on a new
 * standby is armed after each (a session that runs two execs likely runs more). The standby is in the
 * sandbox's cgroups before the sandbox exists (after its limits were set), runs nothing of the sandbox's,
 * ends when the JVM does (its stdin reaches EOF; the bubblewrap one also has PR_SET_PDEATHSIG) and is
 * destroyed by {@link #discard()} when unused.
 *
 * <p>Thread-safe.
 */
public final class LauncherStandby {
    /** How long take() and discard() wait for a standby that is still being started. */
    private static final Duration SPAWN_WAIT = Duration.ofSeconds(5);

    private final List<Path> cgroupProcs;
    private CompletableFuture<Process> next;

    /** @param cgroupProcs the cgroup.procs files every exec of the session joins */
    public LauncherStandby(List<Path> cgroupProcs) {
        this.cgroupProcs = List.copyOf(cgroupProcs);
    }

    /** The cgroup.procs files the standby joins. */
    public List<Path> cgroupProcs() {
        return cgroupProcs;
    }

    /**
     * Starts a standby unless one is armed already.
     *
     * @param start starts the launcher (verified just before) in standby with {@link #cgroupProcs()}; it
     *              must not throw (a failure completes the future exceptionally)
     */
    public synchronized void arm(Supplier<CompletableFuture<Process>> start) {
        if (next == null) {
            next = start.get();
        }
    }

    /** True when a standby is armed (started or being started) and not taken. */
    public synchronized boolean armed() {
        return next != null;
    }

    /**
     * The armed standby, when it started and still runs; disarmed either way (a dead one is destroyed).
     * Empty: the caller starts a launcher the usual way.
     */
    public synchronized Optional<Process> take() {
        CompletableFuture<Process> f = next;
        next = null;
        if (f == null) {
            return Optional.empty();
        }
        Optional<Process> p = await(f);
        if (p.isPresent() && !p.get().isAlive()) {
            p.get().destroyForcibly();
            return Optional.empty();
        }
        return p;
    }

    /**
     * Destroys an unused standby and waits (bounded) until it has ended: called before the session's
     * cgroups are removed, so that a standby that has not joined them yet cannot join them after the kill.
     */
    public synchronized void discard() {
        CompletableFuture<Process> f = next;
        next = null;
        if (f == null) {
            return;
        }
        await(f).ifPresent(p -> {
            p.destroyForcibly();
            try {
                p.waitFor(SPAWN_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    /**
     * Starts {@code launcher} in a standby mode ({@code --standby} or {@code --bwrap-standby}, see
     * s4j-launch.c) on {@code spawner}: it joins {@code cgroupProcs} at once, then waits for
     * {@link #release}. Never throws: a failed start completes the future exceptionally.
     *
     * @param spawner the thread that forks it; for a launcher that asks for PR_SET_PDEATHSIG, a thread that
     *                lives as long as the JVM, since the signal follows the forking thread's death
     */
    public static CompletableFuture<Process> start(Path launcher, String mode, List<Path> cgroupProcs, Executor spawner) {
        List<String> argv = new ArrayList<>(List.of(launcher.toString(), mode,
                "--parent-pid", Long.toString(ProcessHandle.current().pid())));
        cgroupProcs.forEach(p -> argv.addAll(List.of("--cgroup-procs", p.toString())));
        ProcessBuilder pb = new ProcessBuilder(argv).directory(new File("/"));
        pb.environment().clear();
        return CompletableFuture.supplyAsync(() -> {
            try {
                return pb.start();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, spawner);
    }

    /**
     * Sends a taken standby the path of its arguments file (written before), one line on its stdin.
     *
     * @return false when it cannot take it (it ended, its stdin is closed, or the path holds a newline):
     *         it was destroyed then, and the caller starts a launcher the usual way
     */
    public static boolean release(Process standby, Path argsFile) {
        String path = argsFile.toString();
        if (!standby.isAlive() || path.indexOf('\n') >= 0 || path.indexOf('\0') >= 0) {
            standby.destroyForcibly();
            return false;
        }
        try {
            OutputStream in = standby.getOutputStream();
            in.write((path + "\n").getBytes(StandardCharsets.UTF_8));
            in.flush();
            return true;
        } catch (IOException e) {
            standby.destroyForcibly();
            return false;
        }
    }

    private static Optional<Process> await(CompletableFuture<Process> f) {
        try {
            return Optional.of(f.get(SPAWN_WAIT.toMillis(), TimeUnit.MILLISECONDS));
        } catch (ExecutionException e) {
            return Optional.empty();
        } catch (TimeoutException e) {
            // still starting: whenever it does, it must not stay
            f.thenAccept(Process::destroyForcibly);
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            f.thenAccept(Process::destroyForcibly);
            return Optional.empty();
        }
    }
}
