package dev.sandbox4j.linux;

import dev.sandbox4j.linux.internal.bwrap.BubblewrapSession;
import dev.sandbox4j.linux.internal.bwrap.BwrapTool;
import dev.sandbox4j.linux.internal.cgroup.CgroupSandbox;
import dev.sandbox4j.linux.internal.host.HostIds;
import dev.sandbox4j.linux.internal.host.PrivateDirs;
import dev.sandbox4j.linux.internal.host.TrialRun;
import dev.sandbox4j.linux.internal.host.UserNamespaces;
import dev.sandbox4j.spi.Availability;
import dev.sandbox4j.spi.BackendSession;
import dev.sandbox4j.spi.Capability;
import dev.sandbox4j.spi.IsolationLevel;
import dev.sandbox4j.spi.SandboxBackend;
import dev.sandbox4j.spi.SandboxSpec;
import dev.sandbox4j.spi.SeccompProgram;
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
 * view, uid, dropped capabilities, no-new-privileges, the seccomp program of the one syscall table
 * ({@code SyscallTable.forSandbox}: the policy's filter, the set-id guard and the network's rules; always,
 * also for a policy without a filter), rlimits and the sandbox's cgroups (memory, cpus, pids, shared by all
 * its execs). The workspace is what persists across execs; a process an exec leaves behind (in the
 * background, a daemon) dies with that exec's pid namespace when the exec returns, where the library's rule
 * is that it runs until close() and the next exec reaches it: a known gap (issue 19, see BubblewrapSession).
 *
 * <p><b>Needs:</b> {@code bwrap} 0.5.0+ on PATH ({@code apt-get install bubblewrap}), user namespaces, the
 * launcher s4j-launch that this jar carries (compiled by the build, as for the namespaces backend),
 * libseccomp.so.2, and writable cgroups (root, or a delegated cgroup v2 subtree) for memory, cpus and pids
 * limits: without them such a policy is refused when the sandbox is opened, never run unenforced.
 *
 * <p><b>Options</b> ({@code SandboxBuilder.option}): {@code bubblewrap.bwrap} = path of the bwrap binary
 * (default: found on PATH); {@code bubblewrap.tmpdir} = where the sandbox's private 0700 directory goes
 * (default: java.io.tmpdir).
 *
 * <p><b>Ids.</b> The command runs as the policy's uid inside (65534 when the policy names none: the
 * sandbox's own user), mapped to the sandbox's host ids ({@code SandboxHost.ids()}). With a root JVM those
 * are a uid of its own, which no other sandbox and no host process has: the launcher makes a user namespace
 * while still root (so root owns it, and no host user can enter it or any namespace below it), becomes that
 * uid in it, and bwrap makes the sandbox's own user namespace nested inside; the workspace, the policy's
 * mounts and the disk storage are idmapped (the JVM's files appear as the sandbox user's, and what the
 * sandbox writes belongs to the JVM's user on the host), and the set-id guard keeps a setuid or setgid bit
 * from being set there. As another user, the sandbox runs as that user on the host, in a user namespace
 * bwrap makes inside one of the launcher's.
 *
 * <p><b>Host paths.</b> bwrap binds by name and follows links, so it never sees a host path: at every
 * exec the launcher resolves each bind source without following a link, checks it is still the object
 * pinned when the sandbox was built (else the exec fails, exit 125, naming the mount on stderr), and stages
 * a clone of it in a mount namespace of its own, from which bwrap binds it.
 *
 * <p><b>Disk.</b> With {@code limits.disk} (a root JVM) each tmpfs path of the policy is its directory
 * on the core's size-limited storage, which also holds the workspace, instead of a tmpfs of its own.
 * Thread-safe; does nothing expensive before {@link #probe()} or {@link #open(SandboxSpec)}.
 */
public final class BubblewrapBackend implements SandboxBackend {
    /** Option naming the bwrap binary. */
    public static final String OPTION_BWRAP = "bubblewrap.bwrap";
    /** Option naming the directory for the sandbox's private host directory. */
    public static final String OPTION_TMPDIR = "bubblewrap.tmpdir";

    private static final Set<Capability> CAPABILITIES = Collections.unmodifiableSet(EnumSet.of(
            Capability.FILESYSTEM_VIEW, Capability.HIDE_PATHS, Capability.TMPFS,
            Capability.NETWORK_NONE, Capability.NETWORK_LOOPBACK, Capability.NETWORK_HOST,
            Capability.MEMORY_LIMIT, Capability.CPU_LIMIT, Capability.PIDS_LIMIT, Capability.DISK_LIMIT,
            Capability.FILE_SIZE_LIMIT, Capability.OPEN_FILES_LIMIT, Capability.SYSCALL_FILTER, Capability.SYSCALL_FILTER_KILL,
            Capability.PID_ISOLATION, Capability.RUN_AS_UID, Capability.NO_NEW_PRIVILEGES,
            Capability.DROP_CAPABILITIES, Capability.CONTAIN_DAEMONS, Capability.REAPABLE,
            Capability.IMAGE_HOST, Capability.IMAGE_DIRECTORY));

    /** A successful probe is reused this long: build() probes every time and bwrap rarely disappears. */
    private static final Duration PROBE_CACHE = Duration.ofMinutes(5);
    /** How long the probe's trial sandbox may take to run {@code true}. */
    private static final Duration TRIAL_TIMEOUT = Duration.ofSeconds(5);

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
            BwrapTool tool = BwrapTool.find(path, Optional.empty());
            a = tool.probe();
            if (!a.available()) {
                return a;
            }
            Availability seccomp = SeccompProgram.probe();
            if (!seccomp.available()) {
                return Availability.unavailable("bubblewrap loads a seccomp program (the set-id guard) into every sandbox,"
                        + " but " + seccomp.reason(), seccomp.fix());
            }
            Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
            Optional<String> failure = TrialRun.run(spec -> BubblewrapSession.open(spec, tool, tmp), TRIAL_TIMEOUT);
            if (failure.isPresent()) {
                return Availability.unavailable("bwrap cannot make a sandbox here: " + failure.get(), UserNamespaces.fix(true));
            }
            Availability cgroups = CgroupSandbox.probe();
            a = Availability.available(a.reason() + "; sandboxes run as " + (HostIds.root()
                    ? "host ids of their own (workspace idmapped), in user namespaces root owns" : "this JVM's uid " + HostIds.uid())
                    + "; " + seccomp.reason() + "; " + (cgroups.available() ? cgroups.reason()
                    : "no writable cgroups: memory, cpus and pids limits will be refused (" + cgroups.fix() + ")"));
            cached = a;
            cachedAt = System.nanoTime();
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
