package dev.sandbox4j.linux.internal.plan;

import dev.sandbox4j.FilesystemPolicy;
import dev.sandbox4j.InvalidInputException;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.Mount;
import dev.sandbox4j.NetworkPolicy;
import dev.sandbox4j.ProcessPolicy;
import dev.sandbox4j.SandboxImage;
import dev.sandbox4j.linux.internal.plan.HostFacts.Kind;
import dev.sandbox4j.linux.internal.rlimit.Rlimits;
import dev.sandbox4j.spi.HostIds;
import dev.sandbox4j.spi.PinnedPath;
import dev.sandbox4j.spi.ProcessRequest;
import dev.sandbox4j.spi.SandboxHost;
import dev.sandbox4j.spi.SandboxSpec;
import dev.sandbox4j.spi.SandboxStorage;
import dev.sandbox4j.spi.SeccompProgram;
import dev.sandbox4j.spi.SyscallTable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * A sandbox's policy and host side as a complete list of setup steps, in the one order they are applied
 * (as nsjail's contain.cc and bubblewrap's SetupOp list do); an executor needs nothing else:
 * <ol>
 *   <li>namespaces: the disk storage's, joined first when a holder process has it (a JVM that is not root);
 *       user (owned by the launcher's uid: root's with a root JVM), pid, network (its mode;
 *       none unless the host's), ipc, uts, cgroup; nested user namespaces off when the syscall policy
 *       denies {@code unshare};</li>
 *   <li>process: the uid/gid inside and the sandbox's own host ids they map to, capabilities,
 *       no-new-privileges, die with parent, new session;</li>
 *   <li>launcher side: the cgroup limits (the session makes the cgroups with them), cgroups joined, rlimits;</li>
 *   <li>file system: the image's entries on an empty root, /etc basics, /proc, /dev, then the tmpfs
 *       paths (the disk storage's directories under limits.disk), the workspace and the policy's mounts,
 *       parents before children, then the hidden paths, then the root made read-only. Every bind names
 *       its pinned source ({@link HostPath}: the core's pins, or the image's and generated files' pinned
 *       while planning), its origin and its idmapping;</li>
 *   <li>the seccomp program of the one syscall table, last before exec, always;</li>
 *   <li>the exec: environment cleared and set, working directory, argv.</li>
 * </ol>
 * Immutable; {@link #toString()} prints one numbered step per line (never an environment value).
 *
 * @param steps          the steps in order
 * @param generatedFiles the generated files (host path to content), written and pinned while planning
 */
public record SandboxPlan(List<Step> steps, Map<Path, String> generatedFiles) {
    /** Where the workspace appears inside. */
    public static final String WORKSPACE = "/workspace";
    /** The host name inside a sandbox with its own UTS namespace. */
    public static final String HOSTNAME = "sandbox4j";

    public SandboxPlan {
        steps = List.copyOf(steps);
        generatedFiles = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(generatedFiles));
    }

    /** The whole plan for one exec: {@link #session} then {@link #forExec}. */
    public static SandboxPlan from(SandboxSpec spec, ProcessRequest request, HostFacts facts) {
        return session(spec, facts).forExec(request);
    }

    /**
     * Everything but the exec: what is the same for every exec of a sandbox. Pins the image's paths and
     * writes the generated files (through {@code facts.files()}), and compiles the seccomp program.
     *
     * @throws InvalidInputException for a rootfs, mount or hidden path the view cannot have, naming it and why
     * @throws dev.sandbox4j.SandboxStartException when the seccomp program cannot be built or a file written
     */
    public static SandboxPlan session(SandboxSpec spec, HostFacts facts) {
        IsolationPolicy policy = spec.policy();
        PlanBuilder b = new PlanBuilder(facts);
        ProcessPolicy process = policy.process();
        NetworkPolicy.Mode net = policy.network().mode();
        HostIds ids = spec.host().ids();

        spec.host().storage().flatMap(st -> st.holderPid().isPresent() ? Optional.of(st.holderPid().getAsLong()) : Optional.empty())
                .ifPresent(pid -> b.add(new Step.JoinStorage(pid)));
        b.add(new Step.UnshareUser(facts.uid()));
        // always: a pid namespace is what kills an exec's whole tree, daemons included (stricter than isolatePids=false)
        b.add(new Step.UnsharePid());
        if (net != NetworkPolicy.Mode.HOST) {
            b.add(new Step.UnshareNet(net));
        }
        b.add(new Step.UnshareIpc());
        b.add(new Step.UnshareUts(HOSTNAME));
        b.add(new Step.UnshareCgroup());
        if (policy.syscalls().denied().contains("unshare")) {
            b.add(new Step.DisableUserns());
        }

        // the policy's uid inside, else the sandbox's own user, shown as nobody; on the host: its own ids
        int uid = process.uid().orElse(ProcessPolicy.NOBODY);
        int gid = uid;
        b.add(new Step.SetUser(uid, gid, ids.uid(), ids.gid()));
        if (process.dropCapabilities()) {
            b.add(new Step.DropCaps(process.keepCapabilities()));
        }
        if (process.noNewPrivileges()) {
            b.add(new Step.NoNewPrivs());
        }
        b.add(new Step.DieWithParent());
        b.add(new Step.NewSession());

        b.add(cgroupLimits(policy));
        if (!facts.cgroupProcs().isEmpty()) {
            b.add(new Step.JoinCgroups(facts.cgroupProcs()));
        }
        for (Rlimits.Limit l : Rlimits.plan(policy.limits())) {
            b.add(new Step.Rlimit(l));
        }

        // the sandbox's own files (workspace, the policy's mounts, storage): idmapped when the JVM's ids are not
        // the sandbox's (a root JVM), so that the JVM's files are the sandbox user's inside and the reverse
        Optional<Idmap> own = facts.uid() == ids.uid() && facts.gid() == ids.gid() ? Optional.empty()
                : Optional.of(new Idmap(facts.uid(), facts.gid(), ids.uid(), ids.gid()));
        filesystem(b, spec, uid, gid, own);

        b.add(new Step.Seccomp(SeccompProgram.compile(SyscallTable.forSandbox(policy), SeccompProgram.Target.HOST)));
        return b.build();
    }

    /** The cgroup limits of {@code policy}: the session makes its cgroups with them before it plans (and joins them). */
    public static Step.CgroupLimits cgroupLimits(IsolationPolicy policy) {
        return Step.CgroupLimits.of(policy.limits());
    }

    private static void filesystem(PlanBuilder b, SandboxSpec spec, int uid, int gid, Optional<Idmap> own) {
        FilesystemPolicy fs = spec.policy().filesystem();
        SandboxHost host = spec.host();
        HostPath workspace = HostPath.of(host.workspace());
        if (!fs.isolated()) {
            if (spec.image() instanceof SandboxImage.Directory d) {
                throw new InvalidInputException("image.directory " + d.rootfs() + " needs an isolated file-system view,"
                        + " but the policy's filesystem is the host's (FilesystemPolicy.host()); use"
                        + " FilesystemPolicy.isolatedView() or SandboxImage.host()");
            }
            b.bindDev(b.facts().files().pin(Path.of("/"), "the host's root"), "/", Step.Origin.HOST_ROOT);
            b.fresh(new Step.Proc("/proc"), "/proc", "proc");
            b.bindRw(workspace, WORKSPACE, own, Step.Origin.WORKSPACE);
            return;
        }
        if (spec.image() instanceof SandboxImage.Directory d) {
            PinnedPath rootfs = host.rootfs().orElseThrow(() -> new IllegalStateException("image.directory " + d.rootfs()
                    + ": the core pinned no root file system (a bug: report it)"));
            List<String> mountPoints = new ArrayList<>(fs.tmpfs());
            fs.mounts().forEach(m -> mountPoints.add(m.sandboxPath()));
            ImageLayout.directory(b, b.facts(), rootfs, mountPoints);
        } else if (spec.image() instanceof SandboxImage.Host) {
            ImageLayout.host(b, b.facts(), spec.policy().network(), uid, gid);
        } else {
            throw new InvalidInputException("image " + spec.image() + ": this backend takes SandboxImage.host()"
                    + " or SandboxImage.directory(rootfs)");
        }
        b.fresh(new Step.Proc("/proc"), "/proc", "proc");
        b.fresh(new Step.Dev("/dev"), "/dev", "dev");

        // tmpfs paths, the workspace and the policy's mounts, parents before children (stable)
        record Item(String dest, Runnable apply) {
        }
        List<Item> items = new ArrayList<>();
        Set<String> dests = new HashSet<>();
        var size = spec.policy().limits().memory();
        Optional<SandboxStorage> storage = host.storage();
        for (int i = 0; i < fs.tmpfs().size(); i++) {
            String t = fs.tmpfs().get(i);
            unique(dests, t, "tmpfs");
            if (storage.isPresent()) {
                // limits.disk: the storage's directory for this path, so that it shares the one limit with the workspace
                HostPath dir = HostPath.of(storage.get().tmpfsDirs().get(i));
                items.add(new Item(t, () -> b.bindRw(dir, t, own, Step.Origin.STORAGE)));
            } else {
                items.add(new Item(t, () -> b.tmpfs(t, size, 01777)));
            }
        }
        unique(dests, WORKSPACE, "the workspace");
        items.add(new Item(WORKSPACE, () -> b.bindRw(workspace, WORKSPACE, own, Step.Origin.WORKSPACE)));
        for (Mount m : fs.mounts()) {
            if (m.sandboxPath().equals("/")) {
                throw new InvalidInputException("mount " + m.hostPath() + " at /: the root cannot be a mount;"
                        + " use SandboxImage.directory(" + m.hostPath() + ") for a root file system");
            }
            unique(dests, m.sandboxPath(), "mount of " + m.hostPath());
            HostPath source = HostPath.of(host.mount(fs.mounts(), m));
            items.add(new Item(m.sandboxPath(), () -> {
                if (m.writable()) {
                    b.bindRw(source, m.sandboxPath(), own, Step.Origin.MOUNT);
                } else {
                    b.bindRo(source, m.sandboxPath(), own, Step.Origin.MOUNT);
                }
            }));
        }
        items.sort(Comparator.comparingLong(i -> i.dest().chars().filter(c -> c == '/').count()));
        items.forEach(i -> i.apply().run());

        for (String h : fs.hidden()) {
            PlanBuilder.Resolved r = b.resolve(h);
            Kind kind = r.host().map(p -> b.facts().files().kind(p, true)).orElse(r.fresh() == null ? Kind.MISSING
                    : r.dest().equals(r.mountDest()) ? Kind.DIRECTORY : Kind.MISSING);
            switch (kind) {
                case DIRECTORY -> b.fresh(new Step.HideDir(h), h, "hidden");
                case FILE, OTHER -> b.fresh(new Step.HideFile(h), h, "hidden");
                default -> b.note("hidden path " + h + " does not exist in the view: nothing to hide");
            }
        }
        b.add(new Step.RemountRo("/"));
    }

    private static void unique(Set<String> dests, String dest, String what) {
        if (!dests.add(dest)) {
            throw new InvalidInputException("filesystem: two mounts at " + dest + " (the second is the " + what
                    + "); give each sandbox path once");
        }
    }

    /** This session plan with the exec of {@code request} appended. */
    public SandboxPlan forExec(ProcessRequest request) {
        if (request.argv().isEmpty()) {
            throw new InvalidInputException("command: no program given");
        }
        List<Step> all = new ArrayList<>(steps);
        all.add(new Step.ClearEnv());
        new TreeMap<>(request.env()).forEach((k, v) -> all.add(new Step.SetEnv(k, v)));
        all.add(new Step.Chdir(request.workdir()));
        all.add(new Step.Exec(request.argv()));
        return new SandboxPlan(all, generatedFiles);
    }

    /** The prefix of a launcher's failure about a pinned bind source (see open_pinned in s4j-view.c). */
    public static final String SOURCE_FAILURE = "bind source ";

    /**
     * For a launcher's failure about a bind source ({@code "bind source PATH: ..."}), which bind it was, as a
     * sentence naming the mount and the way out; empty for any other failure.
     */
    public Optional<String> explainSourceFailure(String failure) {
        int at = failure.indexOf(SOURCE_FAILURE);
        if (at < 0) {
            return Optional.empty();
        }
        String rest = failure.substring(at + SOURCE_FAILURE.length());
        for (Step s : steps) {
            HostPath source = s instanceof Step.BindRo b ? b.source() : s instanceof Step.BindRw b ? b.source()
                    : s instanceof Step.BindDev b ? b.source() : null;
            String dest = s instanceof Step.BindRo b ? b.dest() : s instanceof Step.BindRw b ? b.dest()
                    : s instanceof Step.BindDev b ? b.dest() : null;
            Step.Origin origin = s instanceof Step.BindRo b ? b.origin() : s instanceof Step.BindRw b ? b.origin()
                    : s instanceof Step.BindDev b ? b.origin() : null;
            if (source != null && rest.startsWith(source.path() + ":")) {
                String what = origin.describe(dest) + " (host " + source + ")";
                return Optional.of(what + " no longer is the directory or file pinned when the sandbox was built (a"
                        + " command can replace a mount source that lies inside a writable mount, such as the workspace,"
                        + " with a link or another directory); nothing was mounted from it and nothing ran. Close this"
                        + " sandbox and build a new one, and mount a host path that no sandbox can write to");
            }
        }
        return Optional.empty();
    }

    /** The steps of one type, in order. */
    public <T extends Step> List<T> stepsOf(Class<T> type) {
        return steps.stream().filter(type::isInstance).map(type::cast).toList();
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("sandbox plan (" + steps.size() + " steps):");
        for (int i = 0; i < steps.size(); i++) {
            s.append(String.format("%n%3d. %s", i + 1, steps.get(i)));
        }
        return s.toString();
    }
}
