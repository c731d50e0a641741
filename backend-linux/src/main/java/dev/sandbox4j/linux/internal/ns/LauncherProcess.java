package dev.sandbox4j.linux.internal.ns;

import dev.sandbox4j.linux.internal.host.ProcessWait;

import dev.sandbox4j.ExecException;
import dev.sandbox4j.ResourceUsage;
import dev.sandbox4j.spi.ProcessExit;
import dev.sandbox4j.linux.internal.host.ProcessStreams;
import dev.sandbox4j.linux.internal.plan.SandboxPlan;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntFunction;

/**
 * One exec: an s4j-launch process whose pid namespace holds everything the command started. Thread-safe.
 *
 * <p>{@link #start} returns only once the launcher has reported on stdout: "S4J-PID n" (the host pid of the
 * sandbox's pid 1) then "S4J-OK" (the command is being exec'd; all later output is the command's), or
 * "S4J-FAIL step: error" (nothing ran; thrown as an {@link ExecException} naming the step).
 *
 * <p>The exec ends when the command exits; its namespace lives on while a process it left (a daemon) does,
 * until {@link #killTree()} (or the session's close) SIGKILLs the launcher and that pid 1: the kernel then
 * kills every process of the namespace, so children that hold stdout open, daemons and fork bombs all
 * die and both streams reach EOF.
 */
final class LauncherProcess extends ProcessStreams {
    static final String PID = "S4J-PID ";
    static final String OK = "S4J-OK";
    static final String FAIL = "S4J-FAIL ";
    /** The launcher's exit status when it failed before running the command. */
    static final int LAUNCH_FAILED = 125;
    /** How long the launcher may take to report; only a hung mount or cgroup write would come near it. */
    static final Duration START_TIMEOUT = Duration.ofSeconds(30);

    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "sandbox4j-namespaces-watchdog");
        t.setDaemon(true);
        return t;
    });

    private final Optional<ProcessHandle> init;
    private final CompletableFuture<ProcessExit> exit;
    private volatile List<ProcessHandle> killed = List.of();

    private LauncherProcess(Process process, Optional<ProcessHandle> init, IntFunction<ResourceUsage> afterExit) {
        super(process);
        this.init = init;
        this.exit = process.onExit().thenApply(p -> {
            int code = p.exitValue();
            return new ProcessExit(code, ProcessExit.of(code).signal(), afterExit.apply(code));
        });
    }

    /**
     * Starts the launcher and waits for its report.
     *
     * @param what      the exec, for messages ("[sh, -c, ...]")
     * @param plan      the exec's plan: a failure's message explains a replaced bind source by it, and ends with it
     * @param afterExit called once the launcher ended, with its status; returns what the exec used
     * @throws ExecException when it cannot start or reports a failure, naming the step
     */
    static LauncherProcess start(ProcessBuilder pb, List<String> what, SandboxPlan plan, IntFunction<ResourceUsage> afterExit) {
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new ExecException("namespaces: cannot start the launcher " + pb.command().get(0) + " for " + what + ": "
                    + e.getMessage() + "; check that its directory allows executables (not mounted noexec)", e);
        }
        return follow(p, what, plan, afterExit);
    }

    /** Like {@link #start} for a launcher already started (a standby that was just released). */
    static LauncherProcess follow(Process p, List<String> what, SandboxPlan plan, IntFunction<ResourceUsage> afterExit) {
        AtomicBoolean fired = new AtomicBoolean();
        ScheduledFuture<?> watchdog = WATCHDOG.schedule(() -> {
            fired.set(true);
            p.destroyForcibly();
        }, START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        String header;
        Optional<ProcessHandle> init = Optional.empty();
        try {
            header = readLine(p.getInputStream());
            if (header.startsWith(PID)) {
                init = pidOne(p, header.substring(PID.length()));
                header = readLine(p.getInputStream());
            }
        } catch (IOException e) {
            header = "";
        } finally {
            watchdog.cancel(false);
        }
        if (header.equals(OK)) {
            return new LauncherProcess(p, init, afterExit);
        }
        init.ifPresent(ProcessHandle::destroyForcibly); // a failed setup leaves nothing of its namespace
        int code = waitQuietly(p);
        if (header.startsWith(FAIL)) {
            String failure = header.substring(FAIL.length());
            throw new ExecException("namespaces: cannot run " + what + ": the launcher failed at " + failure
                    + " (s4j-launch exit " + code + "); nothing ran. " + plan.explainSourceFailure(failure).map(x -> x + ". ")
                    .orElse("") + plan);
        }
        String stderr = drain(p.getErrorStream());
        throw new ExecException("namespaces: cannot run " + what + ": the launcher ended (exit " + code + ") before it started"
                + " the command" + (fired.get() ? ", killed after " + START_TIMEOUT.toSeconds() + " s without a report" : "")
                + (stderr.isEmpty() ? "" : "; it said: " + stderr.strip())
                + " (a system-call filter that denies write stops it from reporting)");
    }

    /** The sandbox's pid 1, which is the launcher's child (checked, so that a reused pid is never taken). */
    private static Optional<ProcessHandle> pidOne(Process launcher, String pid) {
        try {
            return ProcessHandle.of(Long.parseLong(pid.strip()))
                    .filter(h -> h.parent().map(ProcessHandle::pid).orElse(-1L) == launcher.pid());
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** One line of at most 2 KiB, without its newline; what was read when EOF came first. */
    static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b; line.size() < 2048 && (b = in.read()) >= 0 && b != '\n';) {
            line.write(b);
        }
        return line.toString(StandardCharsets.UTF_8);
    }

    /** The launcher's status: it exits by itself after a report; one that does not within 10 s is killed. */
    private static int waitQuietly(Process p) {
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
            return p.isAlive() ? -1 : p.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            return -1;
        }
    }

    private static String drain(InputStream in) {
        try {
            return new String(in.readNBytes(4096), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    @Override
    public CompletableFuture<ProcessExit> onExit() {
        return exit;
    }

    @Override
    public void killTree() {
        if (init.isPresent()) {
            // pid 1 of the sandbox's pid namespace: when it dies the kernel kills every other process of the
            // namespace, and pid 1 ends only after all of them did (zap_pid_ns_processes), so awaiting it is
            // awaiting them all, without a scan of every host process (a millisecond of CPU per close)
            init.get().destroyForcibly();
            process.destroyForcibly();
            killed = List.of(init.get());
            return;
        }
        // pid 1 unknown: the namespace's members as the host sees them, taken before the launcher dies and
        // they are re-parented
        List<ProcessHandle> members = new java.util.ArrayList<>(process.descendants().toList());
        init.ifPresent(members::add);
        init.ifPresent(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        members.forEach(ProcessHandle::destroyForcibly);
        killed = members;
    }

    /** True while the launcher or the sandbox's pid 1 (and so its namespace) is alive. */
    boolean anythingAlive() {
        return process.isAlive() || init.map(ProcessHandle::isAlive).orElse(false);
    }

    /**
     * True when the launcher ended and so did the sandbox's pid 1, whose end kills every other process of
     * its pid namespace: the exec left nothing. False when pid 1 is unknown.
     */
    boolean provablyGone() {
        // a zombie counts as gone: pid 1 that outlived the launcher is re-parented to the host's init, which may reap it late
        return init.isPresent() && !process.isAlive() && !ProcessWait.running(init.get());
    }

    /** Waits, at most {@code limit}, until the launcher and what {@link #killTree()} killed are gone. */
    void awaitGone(Duration limit) {
        List<ProcessHandle> all = new java.util.ArrayList<>(killed);
        all.add(process.toHandle());
        ProcessWait.allGone(all, limit);
    }

    boolean isAlive() {
        return process.isAlive();
    }

    long pid() {
        return process.pid();
    }
}
