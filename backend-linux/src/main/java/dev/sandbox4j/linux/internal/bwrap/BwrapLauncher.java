package dev.sandbox4j.linux.internal.bwrap;

import dev.sandbox4j.ExecException;
import dev.sandbox4j.linux.internal.host.ArgsFile;
import dev.sandbox4j.linux.internal.host.LauncherStandby;
import dev.sandbox4j.linux.internal.rlimit.Rlimits;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Starts one bwrap run through the static launcher {@code s4j-launch --bwrap FILE} (src/main/c/s4j-bwrap.c),
 * one exec that joins the sandbox's cgroups, verifies and stages every bind of {@link StagedBinds} in a mount
 * namespace of its own, makes and joins a user namespace while still root (a root JVM) and becomes the
 * sandbox's uid in it, lowers the rlimits, sets PR_SET_PDEATHSIG and starts bwrap with the options on fd 4
 * and the seccomp program on fd 3. The launcher stays bwrap's parent as a child subreaper, so that the
 * pid 1 bwrap orphans is reaped at once instead of staying a zombie that counts against the pids limit; it
 * ends, with bwrap's status, when nothing is left below it, and {@link Process#pid()} is its pid. A failure
 * before bwrap runs (a bind source replaced since it was pinned, say) ends it with {@link #LAUNCH_FAILED}
 * and "s4j-launch: STEP: ERROR" on the exec's stderr. FILE holds every argument NUL-separated (environment
 * values never show in the host's process list) and is deleted by the launcher once read. Java starts
 * children with no fd above 2 and the launcher opens only 3 and 4, which bwrap closes once read, so the
 * sandbox inherits no other descriptor; the launcher's and bwrap's environments are empty.
 *
 * <p>PR_SET_PDEATHSIG fires when the parent <em>thread</em> exits, so every launcher is started from one
 * long-lived daemon thread of this class, never from a caller's (possibly short-lived) thread.
 */
final class BwrapLauncher {
    /** Exit status of the launcher when a step before bwrap failed ("s4j-launch: step: error" on stderr). */
    static final int LAUNCH_FAILED = 125;

    private static final ExecutorService SPAWNER = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "sandbox4j-bwrap-spawner");
        t.setDaemon(true);
        return t;
    });

    private BwrapLauncher() {
    }

    static Process start(Path launcher, Path bwrap, BwrapArgs.Invocation inv, Path argsFile, Path seccompFile) {
        List<String> args = launcherArgs(inv, bwrap, ProcessHandle.current().pid(), seccompFile, true);
        ArgsFile.write(argsFile, args, "the bubblewrap launcher's arguments");
        ProcessBuilder pb = new ProcessBuilder(launcher.toString(), "--bwrap", argsFile.toString()).directory(new File("/"));
        pb.environment().clear();
        Future<Process> f = SPAWNER.submit(pb::start);
        try {
            return f.get();
        } catch (ExecutionException e) {
            deleteQuietly(argsFile);
            throw new ExecException("starting the bubblewrap launcher " + launcher + " failed: " + e.getCause().getMessage()
                    + "; check that its directory allows executables (not mounted noexec)", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            // the spawn may still complete; its process must not outlive this refusal
            f.cancel(false);
            SPAWNER.execute(() -> {
                try {
                    f.get().destroyForcibly();
                } catch (InterruptedException | ExecutionException | java.util.concurrent.CancellationException ignored) {
                    // it never started
                }
            });
            deleteQuietly(argsFile);
            throw new ExecException("interrupted while starting bubblewrap", e);
        }
    }

    /**
     * Starts a launcher in standby ({@code s4j-launch --bwrap-standby}, see s4j-bwrap.c) on the spawner
     * thread: it joins {@code cgroupProcs} at once and then waits for {@link #release}. Never throws: a
     * failed start completes the future exceptionally.
     */
    static CompletableFuture<Process> standby(Path launcher, List<Path> cgroupProcs) {
        return LauncherStandby.start(launcher, "--bwrap-standby", cgroupProcs, SPAWNER);
    }

    /**
     * Hands a standby launcher its run: writes the arguments file without the cgroups, which the standby
     * joined already ({@link BwrapArgs.Invocation#cgroupProcs()} must be what it was started with), and
     * sends its path ({@link LauncherStandby#release}).
     *
     * @return false when the standby cannot take it: it was destroyed and the arguments file removed, and
     *         the caller starts a launcher the usual way
     */
    static boolean release(Process standby, Path bwrap, BwrapArgs.Invocation inv, Path argsFile, Path seccompFile) {
        List<String> args = launcherArgs(inv, bwrap, ProcessHandle.current().pid(), seccompFile, false);
        ArgsFile.write(argsFile, args, "the bubblewrap launcher's arguments");
        if (LauncherStandby.release(standby, argsFile)) {
            return true;
        }
        deleteQuietly(argsFile);
        return false;
    }

    /** The launcher's arguments (see the head of s4j-bwrap.c). Pure. */
    static List<String> launcherArgs(BwrapArgs.Invocation inv, Path bwrap, long parentPid, Path seccompFile,
                                     boolean joinCgroups) {
        List<String> a = new ArrayList<>(List.of("--parent-pid", Long.toString(parentPid)));
        if (joinCgroups) {
            inv.cgroupProcs().forEach(p -> a.addAll(List.of("--cgroup-procs", p.toString())));
        }
        for (Rlimits.Limit l : inv.rlimits()) {
            a.addAll(List.of("--rlimit", l.resource().name().toLowerCase(Locale.ROOT) + "=" + l.value()));
        }
        a.addAll(List.of("--seccomp", seccompFile.toString()));
        a.addAll(inv.staging().launcherArgs());
        a.addAll(List.of("--bwrap", bwrap.toString(), "--options", Integer.toString(inv.options().size())));
        a.addAll(inv.options());
        a.add("--");
        a.addAll(inv.command());
        return a;
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // inside the session's private directory, which close() removes
        }
    }
}
