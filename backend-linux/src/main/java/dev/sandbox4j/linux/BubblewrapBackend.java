package dev.sandbox4j.linux;

import dev.sandbox4j.linux.internal.bwrap.BubblewrapSession;
import dev.sandbox4j.linux.internal.bwrap.BwrapTool;
import dev.sandbox4j.linux.internal.cgroup.CgroupSandbox;
import dev.sandbox4j.linux.internal.host.PrivateDirs;
import dev.sandbox4j.linux.internal.seccomp.SeccompFilter;
import dev.sandbox4j.spi.Availability;
import dev.sandbox4j.spi.BackendSession;
import dev.sandbox4j.spi.Capability;
import dev.sandbox4j.spi.IsolationLevel;
import dev.sandbox4j.spi.SandboxBackend;
import dev.sandbox4j.spi.SandboxSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The {@code bubblewrap} backend: each exec runs in its own bwrap (user, pid, mount, ipc, uts and cgroup
 * namespaces, a network namespace unless the policy's network is the host's), with the policy's file-system
 * view, uid, dropped capabilities, no-new-privileges, seccomp filter (libseccomp), rlimits and
 * the sandbox's cgroups (memory, cpus, pids, shared by all its execs). The workspace is what persists
 * across execs; a process an exec leaves behind dies with that exec's pid namespace.
 *
 * <p><b>Needs:</b> {@code bwrap} 0.5.0+ on PATH ({@code apt-get install bubblewrap}; 0.6.0+ when the JVM runs as
 * root), user namespaces, the launcher s4j-launch that this jar carries (compiled by the build, as for the
 * namespaces backend), libseccomp.so.2 for a syscall filter, and writable cgroups (root, or a delegated
 * cgroup v2 subtree) for memory, cpus and pids limits: without them such a policy is refused when the
 * sandbox is opened, never run unenforced.
 *
 * <p><b>Options</b> ({@code SandboxBuilder.option}): {@code bubblewrap.bwrap} = path of the bwrap binary
 * (default: found on PATH); {@code bubblewrap.tmpdir} = where the sandbox's private 0700 directory goes
 * (default: java.io.tmpdir).
 *
 * <p><b>As root.</b> When the JVM runs as root and the policy names the sandbox's uid (strict and standard
 * do: 65534), bwrap itself runs as the host's uid 65534 (the launcher changes ids after joining the
 * cgroups), so the sandbox has no owner rights over any root file it can see (root-only /proc entries,
 * /etc/ssl/private). The workspace, every read-write mount and the policy's read-only mounts are
 * idmapped: the JVM's files appear as the sandbox user's, and what the sandbox writes belongs to the JVM's
 * user (root) on the host; a call that would set a setuid or setgid bit then fails with EPERM (a seccomp
 * guard), so no setuid-root file can be left for the host. A policy without a uid (permissive) runs as the
 * JVM's user, which is root outside the sandbox's user namespace, without capabilities there. As another
 * user, the sandbox runs as that user. Thread-safe; does nothing expensive before {@link #probe()} or
 * {@link #open(SandboxSpec)}.
 */
public final class BubblewrapBackend implements SandboxBackend {
    /** Option naming the bwrap binary. */
    public static final String OPTION_BWRAP = "bubblewrap.bwrap";
    /** Option naming the directory for the sandbox's private host directory. */
    public static final String OPTION_TMPDIR = "bubblewrap.tmpdir";

    private static final Set<Capability> CAPABILITIES = Collections.unmodifiableSet(EnumSet.of(
            Capability.FILESYSTEM_VIEW, Capability.HIDE_PATHS, Capability.TMPFS,
            Capability.NETWORK_NONE, Capability.NETWORK_LOOPBACK, Capability.NETWORK_HOST,
            Capability.MEMORY_LIMIT, Capability.CPU_LIMIT, Capability.PIDS_LIMIT,
            Capability.FILE_SIZE_LIMIT, Capability.OPEN_FILES_LIMIT, Capability.SYSCALL_FILTER, Capability.SYSCALL_FILTER_KILL,
            Capability.PID_ISOLATION, Capability.RUN_AS_UID, Capability.NO_NEW_PRIVILEGES,
            Capability.DROP_CAPABILITIES, Capability.CONTAIN_DAEMONS, Capability.REAPABLE,
            Capability.IMAGE_HOST, Capability.IMAGE_DIRECTORY));

    /** A successful probe is reused this long: build() probes every time and bwrap rarely disappears. */
    private static final Duration PROBE_CACHE = Duration.ofMinutes(5);

    private final String path;
    private volatile Availability cached;
    private volatile long cachedAt;

    public BubblewrapBackend() {
        this(System.getenv("PATH") == null ? "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin" : System.getenv("PATH"));
    }

    /** For tests: programs are looked up on {@code path} instead of the JVM's PATH. */
    BubblewrapBackend(String path) {
        this.path = path;
    }

    @Override
    public String name() {
        return "bubblewrap";
    }

    @Override
    public IsolationLevel isolation() {
        return IsolationLevel.NAMESPACE;
    }

    @Override
    public Availability probe() {
        Availability a = cached;
        if (a != null && System.nanoTime() - cachedAt < PROBE_CACHE.toNanos()) {
            return a;
        }
        try {
            a = BwrapTool.find(path, Optional.empty()).probe();
            if (a.available()) {
                Availability seccomp = SeccompFilter.probe();
                Availability cgroups = CgroupSandbox.probe();
                a = Availability.available(a.reason() + "; " + (seccomp.available() ? seccomp.reason()
                        : "no libseccomp: syscall filters will be refused") + "; " + (cgroups.available() ? cgroups.reason()
                        : "no writable cgroups: memory, cpus and pids limits will be refused (" + cgroups.fix() + ")"));
                cached = a;
                cachedAt = System.nanoTime();
            }
            return a;
        } catch (RuntimeException | LinkageError e) {
            return Availability.unavailable("probing bubblewrap failed: " + e, "report a bug in sandbox4j-backend-linux");
        }
    }

    @Override
    public Set<Capability> capabilities() {
        return CAPABILITIES;
    }

    @Override
    public Duration typicalStartup() {
        return Duration.ofMillis(5);
    }

    @Override
    public BackendSession open(SandboxSpec spec) {
        Optional<String> bwrap = Optional.ofNullable(spec.options().get(OPTION_BWRAP));
        Path tmp = Path.of(spec.options().getOrDefault(OPTION_TMPDIR, System.getProperty("java.io.tmpdir")));
        return BubblewrapSession.open(spec, BwrapTool.find(path, bwrap), tmp);
    }

    @Override
    public List<String> reap() {
        List<String> removed = new ArrayList<>();
        try {
            removed.addAll(CgroupSandbox.reap());
        } catch (RuntimeException e) {
            removed.add("cgroup reaper failed: " + e);
        }
        try {
            removed.addAll(PrivateDirs.reap(Path.of(System.getProperty("java.io.tmpdir")), BubblewrapSession.KIND));
            removed.addAll(PrivateDirs.reap(Path.of(System.getProperty("java.io.tmpdir")), BubblewrapSession.ETC_VIEWS_KIND));
        } catch (RuntimeException e) {
            removed.add("temp dir reaper failed: " + e);
        }
        return removed;
    }

    @Override
    public String toString() {
        return "bubblewrap backend";
    }
}
