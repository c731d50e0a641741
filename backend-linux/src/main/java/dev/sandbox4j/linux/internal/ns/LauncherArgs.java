package dev.sandbox4j.linux.internal.ns;

import dev.sandbox4j.NetworkPolicy;
import dev.sandbox4j.linux.internal.plan.HostPath;
import dev.sandbox4j.linux.internal.plan.Idmap;
import dev.sandbox4j.linux.internal.plan.SandboxPlan;
import dev.sandbox4j.linux.internal.plan.Step;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Turns an exec's {@link SandboxPlan} into the arguments of s4j-launch (see the head of s4j-launch.c), the
 * way the bubblewrap executor turns it into bwrap's. Reads the plan only (never the policy), handles every
 * step type ({@link Step.Visitor}). Pure: no file is touched, so it is unit-tested.
 *
 * <p>What s4j-launch always does, so that those steps add nothing: a user and pid namespace, ipc and cgroup
 * namespaces, a new session, no new privileges, death with the JVM. The user namespace's owner is the
 * launcher's uid ({@link Step.UnshareUser}): as root it makes it while still root. Every bind carries its
 * pinned source ({@code DEV:INO SRC DST}), which the launcher verifies before it clones it; the idmapped
 * ones (the sandbox's own files under a root JVM) share the one {@code --idmap}. With the host's whole file
 * system (a bind of / with devices) the workspace is shown at its own host path rather than at /workspace,
 * so that no directory has to be made on the host's real root.
 */
final class LauncherArgs {
    /**
     * What the arguments depend on besides the plan.
     *
     * @param parentPid   the JVM's pid: the sandbox ends when it exits
     * @param seccompFile the file holding the plan's seccomp program
     */
    record Context(long parentPid, Path seccompFile) {
    }

    private LauncherArgs() {
    }

    /** Where the workspace shows inside: /workspace, or its host path when the view is the host's. */
    static String workspaceInside(SandboxPlan plan) {
        return plan.stepsOf(Step.BindRw.class).stream().filter(b -> b.origin() == Step.Origin.WORKSPACE).findFirst()
                .map(b -> hostView(plan) ? b.host().toString() : b.dest()).orElse(SandboxPlan.WORKSPACE);
    }

    private static boolean hostView(SandboxPlan plan) {
        return plan.stepsOf(Step.BindDev.class).stream().anyMatch(b -> b.dest().equals("/"));
    }

    /**
     * The launcher's arguments for {@code plan}, which must end with the exec.
     *
     * @throws IllegalStateException for a plan without its user, seccomp or exec step, with an unpinned bind
     *                               source, or with two different idmappings
     */
    static List<String> of(SandboxPlan plan, Context c) {
        Translation t = new Translation(hostView(plan));
        t.opts.addAll(List.of("--parent-pid", Long.toString(c.parentPid())));
        for (Step s : plan.steps()) {
            s.accept(t);
        }
        if (t.argv == null) {
            throw new IllegalStateException("namespaces: the plan has no exec step: " + plan);
        }
        if (t.user == null) {
            throw new IllegalStateException("namespaces: the plan names no user (SetUser): " + plan);
        }
        if (!t.seccomp) {
            throw new IllegalStateException("namespaces: the plan has no seccomp program; the set-id guard would be missing: " + plan);
        }
        List<String> out = new ArrayList<>(t.opts);
        out.addAll(List.of("--net", t.net, "--user", t.user.arg(), "--seccomp", c.seccompFile().toString()));
        t.idmap.ifPresent(m -> out.addAll(List.of("--idmap", m.arg())));
        if (!t.dropCaps) {
            out.add("--keep-all-caps");
        }
        out.addAll(t.env);
        out.addAll(t.view);
        out.add("--");
        out.addAll(t.argv);
        return out;
    }

    /** The translation of one plan, step by step. */
    private static final class Translation implements Step.Visitor<Void> {
        final List<String> opts = new ArrayList<>();
        final List<String> view = new ArrayList<>();
        final List<String> env = new ArrayList<>();
        final boolean hostView;
        List<String> argv;
        Step.SetUser user;
        Optional<Idmap> idmap = Optional.empty();
        String net = "host";
        boolean dropCaps;
        boolean seccomp;

        Translation(boolean hostView) {
            this.hostView = hostView;
        }

        private void bind(String flag, HostPath source, String dest, Optional<Idmap> map) {
            map.ifPresent(m -> {
                if (idmap.isPresent() && !idmap.get().equals(m)) {
                    throw new IllegalStateException("namespaces: two idmappings in one plan (" + idmap.get() + ", " + m
                            + "); the launcher makes one");
                }
                idmap = Optional.of(m);
            });
            view.addAll(List.of(map.isPresent() ? flag + "-own" : flag, source.pin(), source.path().toString(), dest));
        }

        @Override
        public Void joinStorage(Step.JoinStorage s) {
            opts.addAll(List.of("--join-ns", Long.toString(s.holderPid())));
            return null;
        }

        @Override
        public Void unshareUser(Step.UnshareUser s) {
            return null; // always; the launcher, as root, makes it while still root (the owner the step names)
        }

        @Override
        public Void unsharePid(Step.UnsharePid s) {
            return null; // always
        }

        @Override
        public Void unshareNet(Step.UnshareNet s) {
            net = s.mode() == NetworkPolicy.Mode.LOOPBACK ? "loopback" : "none";
            return null;
        }

        @Override
        public Void unshareIpc(Step.UnshareIpc s) {
            return null; // always
        }

        @Override
        public Void unshareUts(Step.UnshareUts s) {
            opts.addAll(List.of("--hostname", s.hostname()));
            return null;
        }

        @Override
        public Void unshareCgroup(Step.UnshareCgroup s) {
            return null; // always
        }

        @Override
        public Void disableUserns(Step.DisableUserns s) {
            opts.add("--disable-userns");
            return null;
        }

        @Override
        public Void cgroupLimits(Step.CgroupLimits s) {
            return null; // set on the cgroups by the session, which JoinCgroups names
        }

        @Override
        public Void joinCgroups(Step.JoinCgroups s) {
            s.procsFiles().forEach(p -> opts.addAll(List.of("--cgroup-procs", p.toString())));
            return null;
        }

        @Override
        public Void rlimit(Step.Rlimit s) {
            opts.addAll(List.of("--rlimit", s.limit().resource().name().toLowerCase(Locale.ROOT) + "=" + s.limit().value()));
            return null;
        }

        @Override
        public Void bindRo(Step.BindRo s) {
            bind("--ro-bind", s.source(), s.dest(), s.idmap());
            return null;
        }

        @Override
        public Void bindRw(Step.BindRw s) {
            String dest = hostView && s.origin() == Step.Origin.WORKSPACE ? s.host().toString() : s.dest();
            bind("--bind", s.source(), dest, s.idmap());
            return null;
        }

        @Override
        public Void bindDev(Step.BindDev s) {
            bind("--dev-bind", s.source(), s.dest(), Optional.empty());
            return null;
        }

        @Override
        public Void symlink(Step.Symlink s) {
            view.addAll(List.of("--symlink", s.target(), s.dest()));
            return null;
        }

        @Override
        public Void dir(Step.Dir s) {
            view.addAll(List.of("--dir", s.dest(), Integer.toOctalString(s.mode())));
            return null;
        }

        @Override
        public Void tmpfs(Step.Tmpfs s) {
            view.addAll(List.of("--tmpfs", s.dest(), Long.toString(s.size().map(x -> x.bytes()).orElse(0L)),
                    Integer.toOctalString(s.mode())));
            return null;
        }

        @Override
        public Void proc(Step.Proc s) {
            view.addAll(List.of("--proc", s.dest()));
            return null;
        }

        @Override
        public Void dev(Step.Dev s) {
            view.addAll(List.of("--dev", s.dest()));
            return null;
        }

        @Override
        public Void hideDir(Step.HideDir s) {
            view.addAll(List.of("--hide", s.dest()));
            return null;
        }

        @Override
        public Void hideFile(Step.HideFile s) {
            view.addAll(List.of("--hide", s.dest()));
            return null;
        }

        @Override
        public Void remountRo(Step.RemountRo s) {
            view.addAll(List.of("--remount-ro", s.dest()));
            return null;
        }

        @Override
        public Void note(Step.Note s) {
            return null;
        }

        @Override
        public Void setUser(Step.SetUser s) {
            user = s;
            return null;
        }

        @Override
        public Void dropCaps(Step.DropCaps s) {
            dropCaps = true;
            s.keep().stream().sorted().forEach(k -> opts.addAll(List.of("--keep-cap", Integer.toString(CapabilityNumbers.of(k)))));
            return null;
        }

        @Override
        public Void noNewPrivs(Step.NoNewPrivs s) {
            return null; // always
        }

        @Override
        public Void dieWithParent(Step.DieWithParent s) {
            return null; // always (--parent-pid)
        }

        @Override
        public Void newSession(Step.NewSession s) {
            return null; // always
        }

        @Override
        public Void seccomp(Step.Seccomp s) {
            seccomp = true; // the session wrote the program to Context.seccompFile
            return null;
        }

        @Override
        public Void clearEnv(Step.ClearEnv s) {
            return null; // the launcher's environment is exactly the --setenv values
        }

        @Override
        public Void setEnv(Step.SetEnv s) {
            env.addAll(List.of("--setenv", s.name() + "=" + s.value()));
            return null;
        }

        @Override
        public Void chdir(Step.Chdir s) {
            opts.addAll(List.of("--chdir", s.dir()));
            return null;
        }

        @Override
        public Void exec(Step.Exec s) {
            argv = s.argv();
            return null;
        }
    }
}
