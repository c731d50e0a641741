package dev.sandbox4j.linux.internal.ns;

import dev.sandbox4j.Mount;
import dev.sandbox4j.NetworkPolicy;
import dev.sandbox4j.linux.internal.plan.SandboxPlan;
import dev.sandbox4j.linux.internal.plan.Step;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Turns an exec's {@link SandboxPlan} into the arguments of s4j-launch (see the head of s4j-launch.c), the
 * way the bubblewrap executor turns it into bwrap's. Pure: no file is touched, so it is unit-tested.
 *
 * <p>What the plan leaves to the executor, and this one decides:
 * <ul>
 *   <li>The plan's user and pid namespaces, ipc, cgroup namespace, new session and no-new-privileges are
 *       what s4j-launch always does; a plan without them only gets a stricter sandbox.</li>
 *   <li>Network: the plan says "own namespace" or not; the policy's mode says whether its loopback is up
 *       ({@code loopback}) or down ({@code none}, so that nothing listens or connects even inside).</li>
 *   <li>Ownership: every read-write bind, and every read-only bind the policy asked for, is an "own" bind:
 *       when the JVM is root, s4j-launch idmaps it, so that the JVM's files appear owned by the sandbox
 *       user (which runs as the host's nobody) and what the sandbox writes is stored as the JVM's. The
 *       image's binds stay plain.</li>
 *   <li>With the host's whole file system (a bind of / with devices) the workspace is shown at its own host
 *       path rather than at /workspace, so that no directory has to be made on the host's real root.</li>
 * </ul>
 */
final class LauncherArgs {
    /**
     * What the arguments depend on besides the plan.
     *
     * @param network    the policy's network mode
     * @param ownRoBinds the policy's read-only mounts (idmapped like the workspace)
     * @param workspace  the host workspace directory
     * @param seccomp    the file holding the plan's BPF program, when it has one
     * @param parentPid  the JVM's pid: the sandbox ends when it exits
     * @param hostIds    when the JVM is root: the host uid and gid the sandbox runs as
     * @param defaultIds the uid and gid inside when the plan sets none (the JVM's, as the plan assumes)
     */
    record Context(NetworkPolicy.Mode network, Set<Mount> ownRoBinds, Path workspace, Optional<Path> seccomp,
                   long parentPid, Optional<int[]> hostIds, int[] defaultIds) {
        Context {
            ownRoBinds = Set.copyOf(ownRoBinds);
        }
    }

    private LauncherArgs() {
    }

    /** Where the workspace shows inside: /workspace, or its host path when the view is the host's. */
    static String workspaceInside(SandboxPlan plan, Path workspace) {
        return hostView(plan) ? workspace.toString() : SandboxPlan.WORKSPACE;
    }

    private static boolean hostView(SandboxPlan plan) {
        return plan.stepsOf(Step.BindDev.class).stream().anyMatch(b -> b.dest().equals("/"));
    }

    /**
     * The launcher's arguments for {@code plan}, which must end with the exec.
     *
     * @throws IllegalStateException for a step this executor does not know (a plan newer than it): it
     *                               refuses rather than skip a step
     */
    static List<String> of(SandboxPlan plan, Context c) {
        List<String> opts = new ArrayList<>(List.of("--parent-pid", Long.toString(c.parentPid())));
        List<String> view = new ArrayList<>();
        List<String> env = new ArrayList<>();
        List<String> argv = null;
        int[] ids = c.defaultIds();
        boolean ownNet = false;
        boolean dropCaps = false;
        boolean hostView = hostView(plan);
        for (Step s : plan.steps()) {
            if (s instanceof Step.UnshareNet) {
                ownNet = true;
            } else if (s instanceof Step.UnshareUts u) {
                opts.addAll(List.of("--hostname", u.hostname()));
            } else if (s instanceof Step.DisableUserns) {
                opts.add("--disable-userns");
            } else if (s instanceof Step.SetUser u) {
                ids = new int[] {u.uid(), u.gid()};
            } else if (s instanceof Step.DropCaps d) {
                dropCaps = true;
                d.keep().stream().sorted().forEach(k -> opts.addAll(List.of("--keep-cap", Integer.toString(CapabilityNumbers.of(k)))));
            } else if (s instanceof Step.JoinCgroups j) {
                j.procsFiles().forEach(p -> opts.addAll(List.of("--cgroup-procs", p.toString())));
            } else if (s instanceof Step.Rlimit r) {
                opts.addAll(List.of("--rlimit", r.limit().resource().name().toLowerCase(java.util.Locale.ROOT) + "=" + r.limit().value()));
            } else if (s instanceof Step.Seccomp) {
                opts.addAll(List.of("--seccomp", c.seccomp().orElseThrow(() -> new IllegalStateException(
                        "the plan has a seccomp filter but no file holds it")).toString()));
            } else if (s instanceof Step.BindRo b) {
                boolean own = c.ownRoBinds().contains(Mount.readOnly(b.host(), b.dest()));
                view.addAll(List.of(own ? "--ro-bind-own" : "--ro-bind", b.host().toString(), b.dest()));
            } else if (s instanceof Step.BindRw b) {
                String dest = hostView && b.host().equals(c.workspace()) ? c.workspace().toString() : b.dest();
                view.addAll(List.of("--bind-own", b.host().toString(), dest));
            } else if (s instanceof Step.BindDev b) {
                view.addAll(List.of("--dev-bind", b.host().toString(), b.dest()));
            } else if (s instanceof Step.Symlink l) {
                view.addAll(List.of("--symlink", l.target(), l.dest()));
            } else if (s instanceof Step.Tmpfs t) {
                view.addAll(List.of("--tmpfs", t.dest(), Long.toString(t.size().map(x -> x.bytes()).orElse(0L)),
                        Integer.toOctalString(t.mode())));
            } else if (s instanceof Step.Proc p) {
                view.addAll(List.of("--proc", p.dest()));
            } else if (s instanceof Step.Dev d) {
                view.addAll(List.of("--dev", d.dest()));
            } else if (s instanceof Step.HideDir h) {
                view.addAll(List.of("--hide", h.dest()));
            } else if (s instanceof Step.HideFile h) {
                view.addAll(List.of("--hide", h.dest()));
            } else if (s instanceof Step.RemountRo r) {
                view.addAll(List.of("--remount-ro", r.dest()));
            } else if (s instanceof Step.SetEnv e) {
                env.addAll(List.of("--setenv", e.name() + "=" + e.value()));
            } else if (s instanceof Step.Chdir d) {
                opts.addAll(List.of("--chdir", d.dir()));
            } else if (s instanceof Step.Exec e) {
                argv = e.argv();
            } else if (!(s instanceof Step.UnshareUser || s instanceof Step.UnsharePid || s instanceof Step.UnshareIpc
                    || s instanceof Step.UnshareCgroup || s instanceof Step.NoNewPrivs || s instanceof Step.DieWithParent
                    || s instanceof Step.NewSession || s instanceof Step.ClearEnv || s instanceof Step.Note)) {
                throw new IllegalStateException("namespaces: the plan step '" + s + "' (" + s.getClass().getSimpleName()
                        + ") is unknown to the s4j-launch executor; refusing to run without it");
            }
        }
        if (argv == null) {
            throw new IllegalStateException("namespaces: the plan has no exec step: " + plan);
        }
        opts.addAll(List.of("--net", !ownNet ? "host" : c.network() == NetworkPolicy.Mode.LOOPBACK ? "loopback" : "none"));
        opts.addAll(List.of("--uid", Integer.toString(ids[0]), "--gid", Integer.toString(ids[1])));
        c.hostIds().ifPresent(h -> opts.addAll(List.of("--host-uid", Integer.toString(h[0]), "--host-gid", Integer.toString(h[1]))));
        if (!dropCaps) {
            opts.add("--keep-all-caps");
        }
        List<String> out = new ArrayList<>(opts);
        out.addAll(env);
        out.addAll(view);
        out.add("--");
        out.addAll(argv);
        return out;
    }
}
