package dev.sandbox4j.linux;

import dev.sandbox4j.EnvironmentPolicy;
import dev.sandbox4j.FilesystemPolicy;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.NetworkPolicy;
import dev.sandbox4j.ProcessPolicy;
import dev.sandbox4j.ResourceLimits;
import dev.sandbox4j.SyscallPolicy;
import dev.sandbox4j.linux.internal.cgroup.CgroupSandbox;
import dev.sandbox4j.linux.internal.nspawn.NspawnReaper;
import dev.sandbox4j.linux.internal.nspawn.NspawnSession;
import dev.sandbox4j.linux.internal.rootfs.HostTools;
import dev.sandbox4j.linux.internal.rootfs.RootfsBackendSupport;
import dev.sandbox4j.linux.internal.rootfs.RootfsPolicy;
import dev.sandbox4j.linux.internal.rootfs.RootfsProbe;
import dev.sandbox4j.spi.Availability;
import dev.sandbox4j.spi.BackendSession;
import dev.sandbox4j.spi.Capability;
import dev.sandbox4j.spi.IsolationLevel;
import dev.sandbox4j.spi.SandboxBackend;
import dev.sandbox4j.spi.SandboxSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;

/**
 * The {@code nspawn} backend (isolation NAMESPACE): each exec runs in its own systemd-nspawn container on
 * the sandbox's root file system, with its own pid, ipc, uts and mount namespaces and, unless the policy's
 * network is the host's, its own network namespace (none: loopback down; loopback: its own loopback, up);
 * every capability dropped, no new privileges, rlimits, and the sandbox's cgroups (memory, cpus, pids,
 * written directly: nspawn's {@code --property=} needs a systemd that is not there). There is no user
 * namespace: the command runs as the sandbox's own host uid and gid ({@code SandboxHost.ids()}, from the
 * library's range, held by no other sandbox and no host process; {@code id -u} inside prints it), so a uid of
 * the policy's own choosing cannot be had (no RUN_AS_UID). The container, daemons included, ends with its exec;
 * close() kills whatever is left through the cgroups.
 *
 * <p><b>Root file systems</b> are built once per sandbox as for {@link ChrootBackend} ({@code s4j-launch
 * --build-root}: host system directories, or a rootfs directory, read-only; every bind source pinned and
 * verified; the workspace, the policy's mounts and, with {@code limits.disk}, the disk storage's directories
 * at the tmpfs paths read-write and idmapped; no host mount ever visible), and nspawn adds its own /proc, /dev,
 * /sys (read-only) and /run. A directory image needs env, /etc/passwd, /etc/group and getent (nspawn resolves
 * the user inside the container).
 *
 * <p><b>System calls:</b> the one syscall table's program (the policy's rules, both actions, clone flags
 * included, and always the set-id guard and, unless the network is the host's, the vsock rule; nspawn's own
 * {@code --system-call-filter} can only fail a call with EPERM) is loaded by {@code s4j-launch --guard}, the
 * container's pid 2, before it execs the command, after it gave the command a fresh session keyring of the
 * sandbox's user (nspawn's own is root's). Environment values reach the command through a per-exec script read
 * by the container's pid 2 (never on nspawn's command line) and then env(1)'s arguments, visible on the host
 * only for the instant before env execs the command.
 *
 * <p><b>Needs:</b> root, {@code systemd-nspawn} ({@code apt-get install systemd-container}), util-linux, writable
 * cgroups, Linux 5.12+ and a workspace on a file system with idmapped mounts. No systemd as PID 1 is needed
 * ({@code --register=no --keep-unit}).
 *
 * <p><b>Options</b>: {@code nspawn.path} = where to look for systemd-nspawn and the host programs (default:
 * the JVM's PATH); {@code nspawn.tmpdir} = where the private 0700 directory goes (default: java.io.tmpdir).
 * Thread-safe; does nothing expensive before {@link #probe()} or {@link #open}.
 */
public final class NspawnBackend implements SandboxBackend {
    /** Option: the search path for systemd-nspawn and the host programs. */
    public static final String OPTION_PATH = "nspawn.path";
    /** Option: the directory of the sandbox's private host directory. */
    public static final String OPTION_TMPDIR = "nspawn.tmpdir";

    private static final Set<Capability> CAPABILITIES = Collections.unmodifiableSet(EnumSet.of(
            Capability.FILESYSTEM_VIEW, Capability.HIDE_PATHS, Capability.TMPFS,
            Capability.NETWORK_NONE, Capability.NETWORK_LOOPBACK, Capability.NETWORK_HOST,
            Capability.MEMORY_LIMIT, Capability.CPU_LIMIT, Capability.PIDS_LIMIT, Capability.FILE_SIZE_LIMIT,
            Capability.OPEN_FILES_LIMIT, Capability.PID_ISOLATION, Capability.DISK_LIMIT,
            Capability.NO_NEW_PRIVILEGES, Capability.SYSCALL_FILTER, Capability.SYSCALL_FILTER_KILL,
            Capability.DROP_CAPABILITIES, Capability.CONTAIN_DAEMONS,
            Capability.REAPABLE, Capability.IMAGE_HOST, Capability.IMAGE_DIRECTORY));
    private static final String INSTALL = "apt-get install systemd-container (Debian/Ubuntu) or dnf install"
            + " systemd-container (Fedora)";

    private final RootfsBackendSupport support = new RootfsBackendSupport("nspawn", NspawnSession.KIND);
    private final String path;

    public NspawnBackend() {
        this(HostTools.defaultPath());
    }

    /** For tests: programs are looked up on {@code path}. */
    NspawnBackend(String path) {
        this.path = path;
    }

    @Override
    public String name() {
        return "nspawn";
    }

    @Override
    public IsolationLevel isolation() {
        return IsolationLevel.NAMESPACE;
    }

    @Override
    public Set<Capability> capabilities() {
        return CAPABILITIES;
    }

    @Override
    public Duration typicalStartup() {
        return Duration.ofMillis(400);
    }

    @Override
    public Availability probe() {
        return support.probe(this::probeNow);
    }

    private Availability probeNow() {
        HostTools tools = HostTools.find(path, NspawnSession.TOOLS);
        if (tools.missing().contains("systemd-nspawn")) {
            return Availability.unavailable("systemd-nspawn not found on PATH=" + path, INSTALL);
        }
        if (!tools.missing().isEmpty()) {
            return Availability.unavailable(tools.missing() + " not found on PATH=" + path,
                    "apt-get install util-linux");
        }
        int euid = RootfsPolicy.effectiveUid();
        if (euid != 0) {
            return Availability.unavailable("systemd-nspawn needs root; this JVM runs as uid " + euid,
                    "run the JVM as root, or use the bubblewrap or namespaces backend, which need no privileges");
        }
        Availability cg = CgroupSandbox.probe();
        if (!cg.available()) {
            return Availability.unavailable(cg.reason(), cg.fix());
        }
        IsolationPolicy policy = new IsolationPolicy(FilesystemPolicy.isolatedView(), NetworkPolicy.none(),
                ResourceLimits.unlimited().toBuilder().pids(32).build(), SyscallPolicy.allowAll(),
                new ProcessPolicy(true, OptionalInt.empty(), true, true, Set.of()),
                EnvironmentPolicy.defaults());
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        return RootfsProbe.run(policy, spec -> NspawnSession.open(spec, tools, tmp),
                tools.pathString("systemd-nspawn") + " (--register=no --keep-unit); " + cg.reason(),
                "check that '" + tools.pathString("systemd-nspawn") + " --register=no --keep-unit -D <dir> true' works as"
                        + " root; " + INSTALL);
    }

    @Override
    public BackendSession open(SandboxSpec spec) {
        return support.open(spec, path, (p, tmp) -> NspawnSession.open(spec, HostTools.find(p, NspawnSession.TOOLS), tmp));
    }

    @Override
    public List<String> reap() {
        return support.reap(NspawnReaper::reapMirrors);
    }

    @Override
    public String toString() {
        return "nspawn backend";
    }
}
