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
import dev.sandbox4j.linux.internal.seccomp.SeccompFilter;
import dev.sandbox4j.spi.ProcessRequest;
import dev.sandbox4j.spi.SandboxSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A sandbox's policy as a list of setup steps, in the one order they are applied (as nsjail's contain.cc
 * and bubblewrap's SetupOp list do):
 * <ol>
 *   <li>namespaces: user, pid, network (unless the host's), ipc, uts, cgroup; nested user namespaces off
 *       when the syscall policy denies {@code unshare};</li>
 *   <li>process: uid/gid, capabilities, no-new-privileges, die with parent, new session;</li>
 *   <li>launcher side: cgroups joined, rlimits set;</li>
 *   <li>file system: the image's entries on an empty root, /etc basics, /proc, /dev, then the tmpfs
 *       paths, the workspace and the policy's mounts, parents before children, then the hidden paths,
 *       then the root made read-only;</li>
 *   <li>the seccomp filter, last before exec;</li>
 *   <li>the exec: environment cleared and set, working directory, argv.</li>
 * </ol>
 * Immutable; {@link #toString()} prints one numbered step per line (never an environment value).
 *
 * @param steps          the steps in order
 * @param generatedFiles files the session writes (host path to content) before the first exec
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
     * Everything but the exec: what is the same for every exec of a sandbox. Compiles the seccomp filter.
     *
     * @throws InvalidInputException for a rootfs, mount or hidden path the view cannot have, naming it and why
     * @throws dev.sandbox4j.SandboxStartException when the seccomp filter cannot be built
     */
    public static SandboxPlan session(SandboxSpec spec, HostFacts facts) {
        IsolationPolicy policy = spec.policy();
        PlanBuilder b = new PlanBuilder(facts);
        ProcessPolicy process = policy.process();
        boolean hostNet = policy.network().mode() == NetworkPolicy.Mode.HOST;

        b.add(new Step.UnshareUser());
        // always: a pid namespace is what kills an exec's whole tree, daemons included (stricter than isolatePids=false)
        b.add(new Step.UnsharePid());
        if (!hostNet) {
            b.add(new Step.UnshareNet());
        }
        b.add(new Step.UnshareIpc());
        b.add(new Step.UnshareUts(HOSTNAME));
        b.add(new Step.UnshareCgroup());
        if (policy.syscalls().denied().contains("unshare")) {
            b.add(new Step.DisableUserns());
        }

        int uid = process.uid().orElse(facts.uid());
        int gid = process.uid().isPresent() ? uid : facts.gid();
        if (process.uid().isPresent()) {
            b.add(new Step.SetUser(uid, gid));
        }
        if (process.dropCapabilities()) {
            b.add(new Step.DropCaps(process.keepCapabilities()));
        }
        if (process.noNewPrivileges()) {
            b.add(new Step.NoNewPrivs());
        }
        b.add(new Step.DieWithParent());
        b.add(new Step.NewSession());

        if (!facts.cgroupProcs().isEmpty()) {
            b.add(new Step.JoinCgroups(facts.cgroupProcs()));
        }
        for (Rlimits.Limit l : Rlimits.plan(policy.limits())) {
            b.add(new Step.Rlimit(l));
        }

        filesystem(b, spec, uid, gid);

        if (policy.syscalls().filters()) {
            b.add(new Step.Seccomp(SeccompFilter.compile(policy.syscalls())));
        }
        return b.build();
    }

    private static void filesystem(PlanBuilder b, SandboxSpec spec, int uid, int gid) {
        FilesystemPolicy fs = spec.policy().filesystem();
        if (!fs.isolated()) {
            if (spec.image() instanceof SandboxImage.Directory d) {
                throw new InvalidInputException("image.directory " + d.rootfs() + " needs an isolated file-system view,"
                        + " but the policy's filesystem is the host's (FilesystemPolicy.host()); use"
                        + " FilesystemPolicy.isolatedView() or SandboxImage.host()");
            }
            b.bindDev(Path.of("/"), "/");
            b.fresh(new Step.Proc("/proc"), "/proc", "proc");
            b.bindRw(spec.workspace(), WORKSPACE);
            return;
        }
        if (spec.image() instanceof SandboxImage.Directory d) {
            ImageLayout.directory(b, b.facts(), d.rootfs());
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
        for (String t : fs.tmpfs()) {
            unique(dests, t, "tmpfs");
            items.add(new Item(t, () -> b.tmpfs(t, size, 01777)));
        }
        unique(dests, WORKSPACE, "the workspace");
        items.add(new Item(WORKSPACE, () -> b.bindRw(spec.workspace(), WORKSPACE)));
        for (Mount m : fs.mounts()) {
            if (m.sandboxPath().equals("/")) {
                throw new InvalidInputException("mount " + m.hostPath() + " at /: the root cannot be a mount;"
                        + " use SandboxImage.directory(" + m.hostPath() + ") for a root file system");
            }
            unique(dests, m.sandboxPath(), "mount of " + m.hostPath());
            items.add(new Item(m.sandboxPath(), () -> {
                if (m.writable()) {
                    b.bindRw(m.hostPath(), m.sandboxPath());
                } else {
                    b.bindRo(m.hostPath(), m.sandboxPath());
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
