package dev.sandbox4j.linux.internal.plan;

import dev.sandbox4j.DataSize;
import dev.sandbox4j.NetworkPolicy;
import dev.sandbox4j.ResourceLimits;
import dev.sandbox4j.linux.internal.rlimit.Rlimits;
import dev.sandbox4j.spi.SeccompProgram;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.Set;

/**
 * One setup step of a sandbox, as plain data (the vocabulary of {@link SandboxPlan}, like bubblewrap's
 * SetupOp list). Engine-neutral and complete: an executor (the bubblewrap one turns steps into bwrap's
 * arguments, the namespaces one into s4j-launch's) needs nothing but the steps, and never reads the policy.
 * An executor handles every step through a {@link Visitor}, so that a new step is a compile error in each
 * executor until it handles it. {@code toString()} is the printable form used in plans and error messages;
 * it never prints an environment value.
 */
public sealed interface Step {

    /** Hands this step to the visitor's method for its type. */
    <R> R accept(Visitor<R> v);

    /** One method per step type: what an executor does with it. */
    interface Visitor<R> {
        R joinStorage(JoinStorage s);

        R unshareUser(UnshareUser s);

        R unsharePid(UnsharePid s);

        R unshareNet(UnshareNet s);

        R unshareIpc(UnshareIpc s);

        R unshareUts(UnshareUts s);

        R unshareCgroup(UnshareCgroup s);

        R disableUserns(DisableUserns s);

        R cgroupLimits(CgroupLimits s);

        R joinCgroups(JoinCgroups s);

        R rlimit(Rlimit s);

        R bindRo(BindRo s);

        R bindRw(BindRw s);

        R bindDev(BindDev s);

        R symlink(Symlink s);

        R dir(Dir s);

        R tmpfs(Tmpfs s);

        R proc(Proc s);

        R dev(Dev s);

        R hideDir(HideDir s);

        R hideFile(HideFile s);

        R remountRo(RemountRo s);

        R note(Note s);

        R setUser(SetUser s);

        R dropCaps(DropCaps s);

        R noNewPrivs(NoNewPrivs s);

        R dieWithParent(DieWithParent s);

        R newSession(NewSession s);

        R seccomp(Seccomp s);

        R clearEnv(ClearEnv s);

        R setEnv(SetEnv s);

        R chdir(Chdir s);

        R exec(Exec s);
    }

    /** Where a bind's source comes from, for plans and messages. */
    enum Origin {
        /** The image: the host's system directories and /etc entries, or a root file system's entries. */
        IMAGE("image"),
        /** A file the session writes into its private directory (passwd, group, ...). */
        GENERATED("generated"),
        WORKSPACE("workspace"),
        /** One of the policy's mounts. */
        MOUNT("mount of the policy"),
        /** A directory of the disk storage that bounds the sandbox's writes (limits.disk). */
        STORAGE("disk storage"),
        /** The host's whole file system (FilesystemPolicy.host()). */
        HOST_ROOT("the host's root");

        private final String label;

        Origin(String label) {
            this.label = label;
        }

        /** The bind at {@code dest} in words, for messages: "the policy's mount at /data". */
        public String describe(String dest) {
            return this == MOUNT ? "the policy's mount at " + dest : "the " + label + " bind at " + dest;
        }

        @Override
        public String toString() {
            return label;
        }
    }

    // --- namespaces

    /**
     * Join the user and mount namespaces of the process that holds the disk storage of a JVM that is not
     * root ({@code SandboxStorage.holderPid()}) before anything resolves a path: the workspace and the storage
     * directories are paths there. The sandbox's own namespaces are then made inside them.
     */
    record JoinStorage(long holderPid) implements Step {
        @Override
        public <R> R accept(Visitor<R> v) {
            return v.joinStorage(this);
        }

        @Override
        public String toString() {
            return "join the user and mount namespaces of the disk storage's holder, process " + holderPid;
        }
    }

    /**
     * A new user namespace, made by a process of host uid {@code owner} (the launcher's, which is the JVM's),
     * whose creator's euid owns it. With owner 0 the launcher makes it while still root, so that root owns it
     * and no host process of the sandbox's uid can enter it. {@link SetUser} says what it maps.
     */
    record UnshareUser(int owner) implements Step {
        @Override
        public <R> R accept(Visitor<R> v) {
            return v.unshareUser(this);
        }

        @Override
        public String toString() {
            return "unshare user namespace, owned by host uid " + Integer.toUnsignedString(owner);
        }
    }

    /** A new pid namespace: the exec's processes see only each other and die with its pid 1. */
    record UnsharePid() implements Step {
        @Override
        public <R> R accept(Visitor<R> v) {
            return v.unsharePid(this);
        }

        @Override
        public String toString() {
            return "unshare pid namespace";
        }
    }

    /**
     * A new network namespace whose only interface is its own loopback: down for {@code NONE} where the
     * engine can keep it down, up for {@code LOOPBACK}. Absent: the host's network.
     */
    record UnshareNet(NetworkPolicy.Mode mode) implements Step {
        public UnshareNet {
            if (mode == NetworkPolicy.Mode.HOST) {
                throw new IllegalArgumentException("network host has no network namespace of its own");
            }
        }

        @Override
        public <R> R accept(Visitor<R> v) {
            return v.unshareNet(this);
        }

        @Override
        public String toString() {
            return "unshare network namespace (" + (mode == NetworkPolicy.Mode.LOOPBACK ? "private loopback up"
                    : "network none: private loopback only, down where the engine can keep it down") + ")";
        }
    }

    record UnshareIpc() implements Step {
        @Override
        public <R> R accept(Visitor<R> v) {
            return v.unshareIpc(this);
        }

        @Override
        public String toString() {
            return "unshare ipc namespace";
        }
    }

    /** A new UTS namespace with its own host name (the host's name is not shown). */
    record UnshareUts(String hostname) implements Step {
        @Override
        public <R> R accept(Visitor<R> v) {
            return v.unshareUts(this);
        }

        @Override
        public String toString() {
            return "unshare uts namespace, hostname " + hostname;
        }
    }

    /** A new cgroup namespace, where the engine supports it. */
    record UnshareCgroup() implements Step {
        @Override
        public <R> R accept(Visitor<R> v) {
            return v.unshareCgroup(this);
        }

        @Override
        public String toString() {
            return "unshare cgroup namespace (if supported)";
        }
    }

    /** No further user namespace can be made inside (user.max_user_namespaces = 0 in the sandbox's). */
    record DisableUserns() implements Step {
        @Override
        public <R> R accept(Visitor<R> v) {
            return v.disableUserns(this);
        }

        @Override
        public String toString() {
            return "disable nested user namespaces";
        }
    }

    // --- launcher side (before the engine runs)

    /**
     * The limits of the sandbox's cgroups, shared by all its execs; the session makes the cgroups with them
     * before the first exec ({@link JoinCgroups} then names their files). Each empty: no limit.
     *
     * @param memory memory of all its processes together (swap off where the host allows)
     * @param cpus   CPU time in CPUs
     * @param pids   processes and threads alive at once
     */
    record CgroupLimits(Optional<DataSize> memory, OptionalDouble cpus, OptionalInt pids) implements Step {
        /** The cgroup part of {@code limits}. */
        public static CgroupLimits of(ResourceLimits limits) {
            return new CgroupLimits(limits.memory(), limits.cpus(), limits.pids());
        }

        /** These limits (and none other) as {@link ResourceLimits}, as the cgroup code takes them. */
        public ResourceLimits asResourceLimits() {
            ResourceLimits.Builder b = ResourceLimits.unlimited().toBuilder();
            memory.ifPresent(b::memory);
            cpus.ifPresent(b::cpus);
            pids.ifPresent(b::pids);
            return b.build();
        }

        /** Whether no limit is set (no cgroup is needed for limits). */
        public boolean none() {
            return memory.isEmpty() && cpus.isEmpty() && pids.isEmpty();
        }

        @Override
        public <R> R accept(Visitor<R> v) {
            return v.cgroupLimits(this);
        }

        @Override
        public String toString() {
            return "cgroup limits: memory " + memory.map(Object::toString).orElse("none") + ", cpus "
                    + (cpus.isPresent() ? Double.toString(cpus.getAsDouble()) : "none") + ", pids "
                    + (pids.isPresent() ? Integer.toString(pids.getAsInt()) : "none");
        }
    }

    /** The first process writes its pid into each file before it execs anything. */
    record JoinCgroups(List<Path> procsFiles) implements Step {
        public JoinCgroups {
            procsFiles = List.copyOf(procsFiles);
        }

        @Override
        public <R> R accept(Visitor<R> v) {
            return v.joinCgroups(this);
        }

        @Override
        public String toString() {
            return "join cgroups " + procsFiles;
        }
    }

    /** A resource limit, soft = hard, set by the launcher and inherited by everything it starts. */
    record Rlimit(Rlimits.Limit limit) implements Step {
        @Override
        public <R> R accept(Visitor<R> v) {
            return v.rlimit(this);
        }

        @Override
        public String toString() {
            return "rlimit " + limit;
        }
    }

    // --- file system, in mount order

    /**
     * A read-only bind (recursive, nosuid, nodev) of a pinned host object.
     *
     * @param idmap present: the bind is idmapped (the sandbox's own files: the workspace, the policy's mounts)
     */
    record BindRo(HostPath source, String dest, Optional<Idmap> idmap, Origin origin) implements Step {
        /** The source's host path. */
        public Path host() {
            return source.path();
        }

        @Override
        public <R> R accept(Visitor<R> v) {
            return v.bindRo(this);
        }

        @Override
        public String toString() {
            return "bind " + source + " -> " + dest + " (read-only, " + origin + idmap.map(m -> ", " + m).orElse("") + ")";
        }
    }

    /** A read-write bind (recursive unless idmapped, nosuid, nodev) of a pinned host object. */
    record BindRw(HostPath source, String dest, Optional<Idmap> idmap, Origin origin) implements Step {
        public Path host() {
            return source.path();
        }

        @Override
        public <R> R accept(Visitor<R> v) {
            return v.bindRw(this);
        }

        @Override
        public String toString() {
            return "bind " + source + " -> " + dest + " (read-write, " + origin + idmap.map(m -> ", " + m).orElse("") + ")";
        }
    }

    /** Host devices too: only for a policy that shows the host's whole file system. */
    record BindDev(HostPath source, String dest, Origin origin) implements Step {
        public Path host() {
            return source.path();
        }

        @Override
        public <R> R accept(Visitor<R> v) {
            return v.bindDev(this);
        }

        @Override
        public String toString() {
            return "bind " + source + " -> " + dest + " (read-write, devices allowed, " + origin + ")";
        }
    }

    record Symlink(String target, String dest) implements Step {
        @Override
        public <R> R accept(Visitor<R> v) {
            return v.symlink(this);
        }

        @Override
        public String toString() {
            return "symlink " + dest + " -> " + target;
        }
    }

    /**
     * An empty directory made on the view's own root (read-only with it after {@link RemountRo} of /): where
     * containers and VMs have one in their image (/home, /root, /var of the host image), or for an image
     * directory laid out entry by entry. Its parents are made too (mode 0755).
     *
     * @param mode permission bits, e.g. 0755
     */
    record Dir(String dest, int mode) implements Step {
        @Override
        public <R> R accept(Visitor<R> v) {
            return v.dir(this);
        }

        @Override
        public String toString() {
            return "empty directory " + dest + " mode 0" + Integer.toOctalString(mode);
        }
    }

    /**
     * A fresh tmpfs.
     *
     * @param size cap on its size; empty: the kernel's default (half the RAM)
     * @param mode permission bits of its root, e.g. 01777 for /tmp
     */
    record Tmpfs(String dest, Optional<DataSize> size, int mode) implements Step {
        @Override
        public <R> R accept(Visitor<R> v) {
            return v.tmpfs(this);
        }

        @Override
        public String toString() {
            return "tmpfs " + dest + " mode 0" + Integer.toOctalString(mode) + size.map(s -> " size " + s).orElse("");
        }
    }

    record Proc(String dest) implements Step {
        @Override
        public <R> R accept(Visitor<R> v) {
            return v.proc(this);
        }

        @Override
        public String toString() {
            return "proc " + dest;
        }
    }

    /** A minimal /dev: null, zero, full, random, urandom, tty, pts, shm. */
    record Dev(String dest) implements Step {
        @Override
        public <R> R accept(Visitor<R> v) {
            return v.dev(this);
        }

        @Override
        public String toString() {
            return "minimal dev " + dest;
        }
    }

    /** A directory covered by an empty, read-only tmpfs of mode 0000: empty and unreadable. */
    record HideDir(String dest) implements Step {
        @Override
        public <R> R accept(Visitor<R> v) {
            return v.hideDir(this);
        }

        @Override
        public String toString() {
            return "hide directory " + dest + " (empty read-only tmpfs, mode 0000)";
        }
    }

    /** A file covered by an empty, read-only file of mode 0000: empty and unreadable. */
    record HideFile(String dest) implements Step {
        @Override
        public <R> R accept(Visitor<R> v) {
            return v.hideFile(this);
        }

        @Override
        public String toString() {
            return "hide file " + dest + " (empty read-only file, mode 0000)";
        }
    }

    record RemountRo(String dest) implements Step {
        @Override
        public <R> R accept(Visitor<R> v) {
            return v.remountRo(this);
        }

        @Override
        public String toString() {
            return "remount " + dest + " read-only";
        }
    }

    /** Nothing to do; kept so that the printed plan says why a policy item has no step. */
    record Note(String text) implements Step {
        @Override
        public <R> R accept(Visitor<R> v) {
            return v.note(this);
        }

        @Override
        public String toString() {
            return "note: " + text;
        }
    }

    // --- process

    /**
     * The command's uid and gid inside the sandbox, and the host uid and gid the user namespace maps exactly
     * them to: the sandbox's own ({@code SandboxHost.ids()}), never another sandbox's or the host's nobody.
     */
    record SetUser(int uid, int gid, int hostUid, int hostGid) implements Step {
        /** {@code UID:GID:HOSTUID:HOSTGID} as the launchers take it. */
        public String arg() {
            return Integer.toUnsignedString(uid) + ":" + Integer.toUnsignedString(gid) + ":"
                    + Integer.toUnsignedString(hostUid) + ":" + Integer.toUnsignedString(hostGid);
        }

        @Override
        public <R> R accept(Visitor<R> v) {
            return v.setUser(this);
        }

        @Override
        public String toString() {
            return "run as uid " + Integer.toUnsignedString(uid) + " gid " + Integer.toUnsignedString(gid) + ", host uid "
                    + Integer.toUnsignedString(hostUid) + " gid " + Integer.toUnsignedString(hostGid);
        }
    }

    /** Drop every capability (bounding, effective, permitted, inheritable, ambient) but {@code keep}. */
    record DropCaps(Set<String> keep) implements Step {
        public DropCaps {
            keep = Set.copyOf(keep);
        }

        @Override
        public <R> R accept(Visitor<R> v) {
            return v.dropCaps(this);
        }

        @Override
        public String toString() {
            return "drop all capabilities" + (keep.isEmpty() ? "" : " but " + new java.util.TreeSet<>(keep));
        }
    }

    /** PR_SET_NO_NEW_PRIVS. */
    record NoNewPrivs() implements Step {
        @Override
        public <R> R accept(Visitor<R> v) {
            return v.noNewPrivs(this);
        }

        @Override
        public String toString() {
            return "no new privileges";
        }
    }

    /** The sandbox dies with its launcher (and the launcher with the JVM). */
    record DieWithParent() implements Step {
        @Override
        public <R> R accept(Visitor<R> v) {
            return v.dieWithParent(this);
        }

        @Override
        public String toString() {
            return "die with parent";
        }
    }

    /** setsid(): no controlling terminal, so TIOCSTI cannot type into the JVM's terminal. */
    record NewSession() implements Step {
        @Override
        public <R> R accept(Visitor<R> v) {
            return v.newSession(this);
        }

        @Override
        public String toString() {
            return "new session";
        }
    }

    /**
     * The seccomp program, installed last before exec, in every sandbox: the one syscall table's
     * ({@code SyscallTable.forSandbox}: the policy's rules when it filters, the set-id guard and the
     * network's rules always), compiled for this host's ABIs.
     */
    record Seccomp(SeccompProgram program) implements Step {
        @Override
        public <R> R accept(Visitor<R> v) {
            return v.seccomp(this);
        }

        @Override
        public String toString() {
            return program.toString();
        }
    }

    // --- the exec

    record ClearEnv() implements Step {
        @Override
        public <R> R accept(Visitor<R> v) {
            return v.clearEnv(this);
        }

        @Override
        public String toString() {
            return "clear environment";
        }
    }

    /** One environment variable; its value is never printed (it may be a secret). */
    record SetEnv(String name, String value) implements Step {
        @Override
        public <R> R accept(Visitor<R> v) {
            return v.setEnv(this);
        }

        @Override
        public String toString() {
            return "setenv " + name + " (" + value.length() + " chars)";
        }
    }

    record Chdir(String dir) implements Step {
        @Override
        public <R> R accept(Visitor<R> v) {
            return v.chdir(this);
        }

        @Override
        public String toString() {
            return "chdir " + dir;
        }
    }

    record Exec(List<String> argv) implements Step {
        public Exec {
            argv = List.copyOf(argv);
        }

        @Override
        public <R> R accept(Visitor<R> v) {
            return v.exec(this);
        }

        @Override
        public String toString() {
            return "exec " + argv;
        }
    }
}
