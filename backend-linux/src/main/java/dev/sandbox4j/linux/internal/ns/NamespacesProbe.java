package dev.sandbox4j.linux.internal.ns;

import dev.sandbox4j.linux.internal.cgroup.CgroupSandbox;
import dev.sandbox4j.linux.internal.host.HostIds;
import dev.sandbox4j.linux.internal.host.LauncherBinary;
import dev.sandbox4j.linux.internal.host.TrialRun;
import dev.sandbox4j.linux.internal.host.UserNamespaces;
import dev.sandbox4j.spi.Availability;
import dev.sandbox4j.spi.SeccompProgram;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Whether the namespaces backend works here: it runs {@code true} in a trial sandbox made exactly as a real
 * one ({@link TrialRun}: the core's host side, the launcher, the seccomp program, the idmapped workspace
 * of a root JVM). A success is remembered for a minute. Never throws.
 */
final class NamespacesProbe {
    private static final long REMEMBER_NANOS = TimeUnit.MINUTES.toNanos(1);
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static volatile Availability last;
    private static volatile long lastAt;

    private NamespacesProbe() {
    }

    static Availability probe() {
        Availability a = last;
        if (a != null && System.nanoTime() - lastAt < REMEMBER_NANOS) {
            return a;
        }
        try {
            a = run();
        } catch (RuntimeException | LinkageError e) {
            a = Availability.unavailable("namespaces: " + e.getMessage(), "see the message");
        }
        if (a.available()) {
            last = a;
            lastAt = System.nanoTime();
        }
        return a;
    }

    private static Availability run() {
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
            return Availability.unavailable("namespaces needs Linux; this is " + System.getProperty("os.name"),
                    "use a VM or container backend");
        }
        Availability seccomp = SeccompProgram.probe();
        if (!seccomp.available()) {
            return Availability.unavailable("namespaces loads a seccomp program (the set-id guard) into every sandbox, but "
                    + seccomp.reason(), seccomp.fix());
        }
        Path launcher = LauncherBinary.verifiedPath();
        Optional<String> failure = TrialRun.run(NamespacesSession::open, TIMEOUT);
        if (failure.isPresent()) {
            String step = step(failure.get());
            return Availability.unavailable("the launcher cannot make a sandbox here: " + step, fix(step));
        }
        Availability cgroups = CgroupSandbox.probe();
        return Availability.available("s4j-launch " + LauncherBinary.sha256Prefix() + " at " + launcher
                + "; sandboxes run as " + (HostIds.root() ? "host ids of their own (workspace idmapped), in user namespaces"
                + " root owns" : "this JVM's uid " + HostIds.uid()) + "; " + seccomp.reason() + "; "
                + (cgroups.available() ? cgroups.reason() : "no writable cgroups: memory, cpus and pids limits will"
                + " be refused (" + cgroups.fix() + ")"));
    }

    /** The launcher's failed step in an exec's message ("... the launcher failed at STEP (s4j-launch exit ..."). */
    static String step(String message) {
        int at = message.indexOf("the launcher failed at ");
        if (at < 0) {
            return message;
        }
        String rest = message.substring(at + "the launcher failed at ".length());
        int end = rest.indexOf(" (s4j-launch exit");
        return end < 0 ? rest : rest.substring(0, end);
    }

    /** The way out for a launcher failure, by the step that failed. */
    static String fix(String failure) {
        if (failure.startsWith("unshare")) {
            return UserNamespaces.fix(!HostIds.root());
        }
        if (failure.startsWith("mount proc")) {
            return "mounting a fresh /proc is refused, usually because this runs in a container whose /proc is"
                    + " partly masked; run the container with --security-opt systempaths=unconfined (or --privileged),"
                    + " or use a container backend";
        }
        if (failure.contains("Function not implemented")) {
            return "the kernel lacks a call the launcher needs (open_tree, move_mount, mount_setattr: Linux 5.12 or"
                    + " later); upgrade the kernel or install bubblewrap";
        }
        if (failure.contains("idmap")) {
            return "the file system of java.io.tmpdir (" + System.getProperty("java.io.tmpdir") + ") cannot make"
                    + " idmapped mounts (ext4, xfs, btrfs and tmpfs can); point -Djava.io.tmpdir to one of those";
        }
        return "install bubblewrap (apt-get install bubblewrap), which the bubblewrap backend uses instead";
    }
}
