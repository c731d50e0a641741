package dev.sandbox4j.linux.internal.ns;

import dev.sandbox4j.linux.internal.cgroup.CgroupSandbox;
import dev.sandbox4j.linux.internal.host.HostIds;
import dev.sandbox4j.linux.internal.host.LauncherBinary;
import dev.sandbox4j.linux.internal.host.UserNamespaces;
import dev.sandbox4j.linux.internal.seccomp.SeccompFilter;
import dev.sandbox4j.spi.Availability;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Whether the namespaces backend works here: it runs the launcher once, with {@code true} in a view like a
 * sandbox's (the host's system directories, /proc, /dev, a tmpfs, and a directory of java.io.tmpdir bound
 * the way workspaces are, idmapped when the JVM is root). A success is remembered for a minute. Never throws.
 */
final class NamespacesProbe {
    private static final long REMEMBER_NANOS = TimeUnit.MINUTES.toNanos(1);
    private static final long TIMEOUT_SECONDS = 5;
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
        } catch (IOException | RuntimeException | LinkageError e) {
            a = Availability.unavailable("namespaces: " + e.getMessage(), "see the message");
        }
        if (a.available()) {
            last = a;
            lastAt = System.nanoTime();
        }
        return a;
    }

    private static Availability run() throws IOException {
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
            return Availability.unavailable("namespaces needs Linux; this is " + System.getProperty("os.name"),
                    "use a VM or container backend");
        }
        Path launcher = LauncherBinary.verifiedPath();
        Path tmp = Files.createTempDirectory("sandbox4j-probe-");
        try {
            List<String> cmd = new ArrayList<>(List.of(launcher.toString(), "--parent-pid",
                    Long.toString(ProcessHandle.current().pid()), "--uid", "65534", "--gid", "65534", "--chdir", "/",
                    "--net", "none", "--setenv", "PATH=/usr/bin:/bin"));
            if (HostIds.root()) {
                cmd.addAll(List.of("--host-uid", Integer.toString(HostIds.SANDBOX_HOST_UID),
                        "--host-gid", Integer.toString(HostIds.SANDBOX_HOST_GID)));
            }
            for (String name : List.of("usr", "bin", "sbin", "lib", "lib64")) {
                Path p = Path.of("/", name);
                if (Files.isSymbolicLink(p)) {
                    cmd.addAll(List.of("--symlink", Files.readSymbolicLink(p).toString(), "/" + name));
                } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    cmd.addAll(List.of("--ro-bind", p.toString(), "/" + name));
                }
            }
            cmd.addAll(List.of("--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "0", "1777",
                    "--bind-own", tmp.toString(), "/workspace", "--remount-ro", "/", "--", "true"));
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(new File("/")).redirectErrorStream(true);
            pb.environment().clear();
            Process p = pb.start();
            p.getOutputStream().close();
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return Availability.unavailable("the launcher " + launcher + " did not finish `true` within "
                        + TIMEOUT_SECONDS + " s", "check the host's load; or install bubblewrap");
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (p.exitValue() == 0 && out.lines().anyMatch(LauncherProcess.OK::equals)) {
                Availability seccomp = SeccompFilter.probe();
                Availability cgroups = CgroupSandbox.probe();
                return Availability.available("s4j-launch " + LauncherBinary.sha256Prefix() + " at " + launcher
                        + "; sandboxes run as the host's uid " + (HostIds.root() ? HostIds.SANDBOX_HOST_UID
                        + " (workspace idmapped)" : HostIds.uid() + " (this JVM's)") + "; "
                        + (seccomp.available() ? seccomp.reason() : "no libseccomp: syscall filters will be refused") + "; "
                        + (cgroups.available() ? cgroups.reason() : "no writable cgroups: memory, cpus and pids limits will"
                        + " be refused (" + cgroups.fix() + ")"));
            }
            String line = out.lines().filter(l -> l.startsWith(LauncherProcess.FAIL)).findFirst()
                    .map(l -> l.substring(LauncherProcess.FAIL.length())).orElse(out);
            return Availability.unavailable("the launcher cannot make a sandbox here (exit " + p.exitValue() + "): " + line,
                    fix(line));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Availability.unavailable("interrupted while probing", "probe again");
        } finally {
            Files.deleteIfExists(tmp);
        }
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
