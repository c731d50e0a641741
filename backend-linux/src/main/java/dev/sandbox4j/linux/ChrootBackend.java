package dev.sandbox4j.linux;

import dev.sandbox4j.FilesystemPolicy;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.NetworkPolicy;
import dev.sandbox4j.ProcessPolicy;
import dev.sandbox4j.ResourceLimits;
import dev.sandbox4j.SyscallPolicy;
import dev.sandbox4j.linux.internal.cgroup.CgroupSandbox;
import dev.sandbox4j.linux.internal.chroot.ChrootSession;
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
 * The {@code chroot} backend (isolation PROCESS): the command runs chrooted into a root file system, as the
 * sandbox's own host uid and gid ({@code SandboxHost.ids()}: from the library's range, held by no other
 * sandbox and no host process; {@code id -u} inside prints it) with no capability, no new privileges (setuid
 * bits and file capabilities grant nothing; every mount is nosuid as well), the policy's rlimits and the
 * sandbox's cgroups (memory, cpus, pids; every process of an exec, daemons included, is found and killed
 * through them). Because the command never holds root inside, the classic chroot escape
 * ({@code mkdir x; chroot x; cd ../../..; chroot .}) fails with EPERM; so does making a user namespace to
 * regain privileges (the kernel refuses CLONE_NEWUSER to a chrooted process). A uid of the policy's own
 * choosing cannot be had (no RUN_AS_UID): the core refuses {@code process.uid}.
 *
 * <p><b>Root file systems.</b> {@code SandboxImage.host()}: the host's /usr, /bin, /lib*, /sbin and a
 * minimal /etc, read-only. {@code SandboxImage.directory(rootfs)}: each top-level entry of the rootfs
 * bound read-only (it needs /bin/sh and env); the rootfs itself is never written. Both get the workspace
 * read-write at /workspace, the policy's tmpfs paths (with {@code limits.disk}: the disk storage's
 * directories, so that /tmp and the workspace share the one limit), mounts and hidden paths, a /dev of null,
 * zero, full, random and urandom, and <em>no /proc</em> (a /proc of the host's pid namespace would show other
 * processes' roots). The root is built once per sandbox by {@code s4j-launch --build-root} in a private mount
 * namespace that it holds, so no mount ever appears in the host's mount table; it vanishes with the sandbox.
 * Every host path it binds was pinned when the sandbox was built (without following a link) and is verified
 * by device and inode and cloned from the verified descriptor: a command that later replaces a mount source
 * with a link changes nothing the sandbox shows, and the next sandbox built on it is refused. The sandbox's own
 * files (workspace, the policy's mounts, the storage) are idmapped: what the JVM's user owns, the sandbox's uid
 * owns inside, and what it creates is the JVM's user's on disk.
 *
 * <p><b>What it does not isolate</b> (and so does not claim): the network (only {@code NetworkPolicy.host()}
 * is accepted), pids (the command may see nothing in /proc, but shares the host's pid namespace: it can
 * signal only processes of its own uid, which are its own sandbox's), abstract Unix sockets and System V IPC.
 * Use a NAMESPACE backend for those.
 *
 * <p><b>System calls:</b> the one syscall table's program ({@code SyscallTable.forSandbox}: the policy's
 * rules, both actions, and always the set-id guard, which keeps a set-id file made through the idmapped
 * workspace from reaching the host) is loaded by {@code s4j-launch --guard} inside the root, after the uid
 * change and after the command got a fresh session keyring of its own (it possesses none of the JVM's keys).
 *
 * <p>The command's environment is exactly the request's ({@code env -i}); its values are on the exec chain's
 * command line for the few milliseconds it takes to start the command, never after.
 *
 * <p><b>Needs:</b> Linux 5.12+, root (not CAP_SYS_RESOURCE: limits are only lowered), util-linux (nsenter,
 * setpriv, setsid, prlimit), writable cgroups, and a workspace on a file system with idmapped mounts (ext4,
 * xfs, btrfs; tmpfs since 6.3).
 *
 * <p><b>Options</b> ({@code SandboxBuilder.option}): {@code chroot.path} = where to look for the host
 * programs (default: the JVM's PATH); {@code chroot.tmpdir} = where the private 0700 directory goes
 * (default: java.io.tmpdir). Thread-safe; does nothing expensive before {@link #probe()} or {@link #open}.
 */
public final class ChrootBackend implements SandboxBackend {
    /** Option: the search path for the host programs. */
    public static final String OPTION_PATH = "chroot.path";
    /** Option: the directory of the sandbox's private host directory. */
    public static final String OPTION_TMPDIR = "chroot.tmpdir";

    private static final Set<Capability> CAPABILITIES = Collections.unmodifiableSet(EnumSet.of(
            Capability.FILESYSTEM_VIEW, Capability.HIDE_PATHS, Capability.TMPFS, Capability.NETWORK_HOST,
            Capability.MEMORY_LIMIT, Capability.CPU_LIMIT, Capability.PIDS_LIMIT, Capability.FILE_SIZE_LIMIT,
            Capability.OPEN_FILES_LIMIT, Capability.DISK_LIMIT, Capability.NO_NEW_PRIVILEGES,
            Capability.SYSCALL_FILTER, Capability.SYSCALL_FILTER_KILL,
            Capability.DROP_CAPABILITIES, Capability.CONTAIN_DAEMONS, Capability.KEEP_BACKGROUND, Capability.REAPABLE,
            Capability.IMAGE_HOST, Capability.IMAGE_DIRECTORY));
    private static final String FIX = "run the JVM as root on Linux 5.12+ with util-linux installed (apt-get install"
            + " util-linux) and cgroups writable";

    private final RootfsBackendSupport support = new RootfsBackendSupport("chroot", ChrootSession.KIND);
    private final String path;

    public ChrootBackend() {
        this(HostTools.defaultPath());
    }

    /** For tests: host programs are looked up on {@code path}. */
    ChrootBackend(String path) {
        this.path = path;
    }

    @Override
    public String name() {
        return "chroot";
    }

    @Override
    public IsolationLevel isolation() {
        return IsolationLevel.PROCESS;
    }

    @Override
    public Set<Capability> capabilities() {
        return CAPABILITIES;
    }

    @Override
    public Duration typicalStartup() {
        return Duration.ofMillis(60);
    }

    @Override
    public Availability probe() {
        return support.probe(this::probeNow);
    }

    private Availability probeNow() {
        int euid = RootfsPolicy.effectiveUid();
        if (euid != 0) {
            return Availability.unavailable("the chroot backend needs root (chroot, setns, mounts, uid change); this JVM"
                    + " runs as uid " + euid, "run the JVM as root, or use the bubblewrap or namespaces backend");
        }
        HostTools tools = HostTools.find(path, ChrootSession.TOOLS);
        if (!tools.missing().isEmpty()) {
            return Availability.unavailable(tools.missing() + " not found on PATH=" + path,
                    "apt-get install util-linux (Debian/Ubuntu) or dnf install util-linux");
        }
        Availability cg = CgroupSandbox.probe();
        if (!cg.available()) {
            return Availability.unavailable(cg.reason(), cg.fix());
        }
        IsolationPolicy policy = new IsolationPolicy(FilesystemPolicy.isolatedView(), NetworkPolicy.host(),
                ResourceLimits.unlimited().toBuilder().pids(16).build(), SyscallPolicy.allowAll(),
                new ProcessPolicy(false, OptionalInt.empty(), true, true, Set.of()),
                dev.sandbox4j.EnvironmentPolicy.defaults());
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        return RootfsProbe.run(policy, spec -> ChrootSession.open(spec, tools, tmp),
                "chroot via util-linux nsenter/setpriv on a root built by s4j-launch --build-root; " + cg.reason(), FIX);
    }

    @Override
    public BackendSession open(SandboxSpec spec) {
        return support.open(spec, path, (p, tmp) -> ChrootSession.open(spec, HostTools.find(p, ChrootSession.TOOLS), tmp));
    }

    @Override
    public List<String> reap() {
        return support.reap(List::of);
    }

    @Override
    public String toString() {
        return "chroot backend";
    }
}
