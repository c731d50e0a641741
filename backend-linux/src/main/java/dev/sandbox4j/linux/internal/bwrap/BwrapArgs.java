package dev.sandbox4j.linux.internal.bwrap;

import dev.sandbox4j.linux.internal.plan.HostPath;
import dev.sandbox4j.linux.internal.plan.Idmap;
import dev.sandbox4j.linux.internal.plan.SandboxPlan;
import dev.sandbox4j.linux.internal.plan.Step;
import dev.sandbox4j.linux.internal.rlimit.Rlimits;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Executes a {@link SandboxPlan} as a bubblewrap invocation: the options (passed to bwrap through
 * {@code --args FD}, so that environment values never show in the host's process list), the command, and
 * what the launcher does before bwrap runs (join cgroups, set rlimits, open the seccomp program on
 * {@link #SECCOMP_FD}, make and join a root-owned user namespace as root, stage every bind:
 * {@link StagedBinds}). Reads the plan only (never the policy) and handles every step type
 * ({@link Step.Visitor}). Pure: no I/O.
 */
public final class BwrapArgs {
    /** The fd on which the launcher opens the seccomp program. */
    public static final int SECCOMP_FD = 3;
    /** The fd on which the launcher opens the NUL-separated options for {@code --args}. */
    public static final int ARGS_FD = 4;

    /**
     * One bwrap run.
     *
     * @param options     bwrap options, in plan order
     * @param command     the argv after {@code --}
     * @param rlimits     limits the launcher sets before bwrap
     * @param cgroupProcs cgroup.procs files the launcher joins before bwrap
     * @param staging     the user namespace and the staged binds the launcher prepares
     */
    public record Invocation(List<String> options, List<String> command, List<Rlimits.Limit> rlimits,
                             List<Path> cgroupProcs, StagedBinds staging) {
        public Invocation {
            options = List.copyOf(options);
            command = List.copyOf(command);
            rlimits = List.copyOf(rlimits);
            cgroupProcs = List.copyOf(cgroupProcs);
        }
    }

    /**
     * The session's /etc view and its pin.
     *
     * @param view   the directory standing for the plan's /etc files
     * @param pinned the view's directory, pinned by the session
     */
    public record Etc(EtcView view, HostPath pinned) {
    }

    private BwrapArgs() {
    }

    /** {@link #of(SandboxPlan, BwrapFeatures, Optional, Optional, Optional)} without an exec shim, /etc view or cover. */
    public static Invocation of(SandboxPlan plan, BwrapFeatures features) {
        return of(plan, features, Optional.empty(), Optional.empty(), Optional.empty());
    }

    /**
     * @param plan     a plan with its exec steps
     * @param features what the installed bwrap supports
     * @param envShim  the sandbox path of {@code env} in the view, if it has one. bwrap always exports
     *                 PWD after its chdir and exits 1 (not 127) when the program is missing; running the
     *                 command as {@code env -u PWD -- argv} gives exactly the planned environment and the
     *                 shell's 127/126 with the program named. Not used when argv[0] holds '=' (env would
     *                 read it as an assignment).
     * @param cover    an empty host file of mode 0000, pinned, bound read-only over every hidden file (bwrap
     *                 binds with nodev, so /dev/null would not even open); needed when the plan hides a file
     * @param etc      one directory standing for the plan's /etc files ({@link EtcView}), if the session made one
     * @throws IllegalStateException for a plan without its user, seccomp or exec step, with an unpinned
     *                               source, or hiding a file without a cover
     */
    public static Invocation of(SandboxPlan plan, BwrapFeatures features, Optional<String> envShim, Optional<HostPath> cover,
                                Optional<Etc> etc) {
        Translation t = new Translation(plan, features, cover, etc);
        for (Step step : plan.steps()) {
            t.beforeStep(step);
            step.accept(t);
        }
        if (t.command.isEmpty()) {
            throw new IllegalArgumentException("plan has no exec step:\n" + plan);
        }
        if (t.etcBound) {
            throw new IllegalStateException("the /etc view would stay writable: the plan has no final read-only root\n" + plan);
        }
        if (t.user == null || !t.seccomp) {
            throw new IllegalStateException("bubblewrap: the plan lacks its user or its seccomp program (the set-id guard):\n" + plan);
        }
        if (!t.dropCaps && t.user.uid() == 0) {
            // bwrap run as uid 0 (the launcher becomes the uid inside) keeps every capability for the command
            // unless told otherwise; as any other uid it gives none: the command gets none either way
            add(t.o, "--cap-drop", "ALL");
        }
        List<String> command = t.command;
        if (envShim.isPresent() && !command.get(0).contains("=")) {
            List<String> shimmed = new ArrayList<>(List.of(envShim.get(), "-u", "PWD", "--"));
            shimmed.addAll(command);
            command = shimmed;
        }
        return new Invocation(t.o, command, t.rlimits, t.procs,
                new StagedBinds(t.user, t.rootUserns, t.idmap, t.joinStorage, t.stages));
    }

    /** True when the plan shows the host's whole file system (a bind of / with devices). */
    static boolean hostView(SandboxPlan plan) {
        return plan.stepsOf(Step.BindDev.class).stream().anyMatch(b -> b.dest().equals("/"));
    }

    /** The translation of one plan, step by step. */
    private static final class Translation implements Step.Visitor<Void> {
        final SandboxPlan plan;
        final BwrapFeatures features;
        final Optional<HostPath> cover;
        final Optional<Etc> etc;
        // with the host's whole file system the workspace shows at its own host path: a mount point at
        // /workspace would be made on the host's real root (and stay there)
        final boolean hostView;
        final List<String> o = new ArrayList<>();
        final List<Rlimits.Limit> rlimits = new ArrayList<>();
        final List<Path> procs = new ArrayList<>();
        final List<StagedBinds.Stage> stages = new ArrayList<>();
        List<String> command = List.of();
        Step.SetUser user;
        Optional<Idmap> idmap = Optional.empty();
        java.util.OptionalLong joinStorage = java.util.OptionalLong.empty();
        boolean rootUserns;
        boolean dropCaps;
        boolean seccomp;
        boolean etcBound;
        boolean etcDone;
        Path etcStage;
        Path coverStage;

        Translation(SandboxPlan plan, BwrapFeatures features, Optional<HostPath> cover, Optional<Etc> etc) {
            this.plan = plan;
            this.features = features;
            this.cover = cover;
            this.etc = etc;
            this.hostView = hostView(plan);
        }

        void beforeStep(Step step) {
            if (etc.isPresent() && !etcDone && underEtc(step)) {
                // before every other mount below /etc (the plan orders them by path: /etc/alternatives comes
                // before /etc/group): a bind made earlier would be covered by the view's empty mount point.
                // Read-only on the staging side; bwrap makes no mount point in it (the JVM made them all)
                etcStage = stage(StagedBinds.Kind.PLAIN_RO, etc.get().pinned(), "the /etc view");
                add(o, "--bind", etcStage.toString(), "/etc");
                etcBound = true;
                etcDone = true;
            }
        }

        /** A new stage at the next free mount point of the staging root. */
        private Path stage(StagedBinds.Kind kind, HostPath source, String what) {
            Path mp = StagedBinds.ROOT.resolve(Integer.toString(stages.size()));
            stages.add(new StagedBinds.Stage(kind, source, mp, what));
            return mp;
        }

        private StagedBinds.Kind own(Optional<Idmap> map, StagedBinds.Kind plain, StagedBinds.Kind mapped) {
            if (map.isEmpty()) {
                return plain;
            }
            if (idmap.isPresent() && !idmap.get().equals(map.get())) {
                throw new IllegalStateException("bubblewrap: two idmappings in one plan (" + idmap.get() + ", " + map.get()
                        + "); the launcher makes one");
            }
            idmap = map;
            return mapped;
        }

        @Override
        public Void joinStorage(Step.JoinStorage s) {
            joinStorage = java.util.OptionalLong.of(s.holderPid());
            return null;
        }

        @Override
        public Void unshareUser(Step.UnshareUser s) {
            // a root launcher makes (so root owns) and joins a user namespace mapping the sandbox's ids only;
            // bwrap's is nested in it, as in the launcher's own when the JVM is not root
            rootUserns = s.owner() == 0;
            o.add("--unshare-user");
            return null;
        }

        @Override
        public Void unsharePid(Step.UnsharePid s) {
            o.add("--unshare-pid");
            return null;
        }

        @Override
        public Void unshareNet(Step.UnshareNet s) {
            // bwrap brings the new namespace's loopback up itself (also under network none)
            o.add("--unshare-net");
            return null;
        }

        @Override
        public Void unshareIpc(Step.UnshareIpc s) {
            o.add("--unshare-ipc");
            return null;
        }

        @Override
        public Void unshareUts(Step.UnshareUts s) {
            add(o, "--unshare-uts", "--hostname", s.hostname());
            return null;
        }

        @Override
        public Void unshareCgroup(Step.UnshareCgroup s) {
            o.add("--unshare-cgroup-try");
            return null;
        }

        @Override
        public Void disableUserns(Step.DisableUserns s) {
            // older bwrap: the seccomp program's clone/unshare rules still stop nested namespaces
            if (features.disableUserns()) {
                o.add("--disable-userns");
            }
            return null;
        }

        @Override
        public Void cgroupLimits(Step.CgroupLimits s) {
            return null; // set on the cgroups by the session, which JoinCgroups names
        }

        @Override
        public Void joinCgroups(Step.JoinCgroups s) {
            procs.addAll(s.procsFiles());
            return null;
        }

        @Override
        public Void rlimit(Step.Rlimit s) {
            rlimits.add(s.limit());
            return null;
        }

        @Override
        public Void bindRo(Step.BindRo b) {
            if (consolidated(b.dest())) {
                return null; // a copy in the view bound at /etc
            }
            if (etcStage != null && carriedByView(b)) {
                // staged into the view itself: its one bind carries it (a bind per /etc directory costs bwrap a
                // read of the mount table and a remount each)
                stages.add(new StagedBinds.Stage(StagedBinds.Kind.PLAIN_RO, b.source(),
                        etcStage.resolve(b.dest().substring("/etc/".length())), b.origin().describe(b.dest())));
                return null;
            }
            add(o, "--ro-bind", stage(own(b.idmap(), StagedBinds.Kind.PLAIN_RO, StagedBinds.Kind.OWN_RO), b.source(),
                    b.origin().describe(b.dest())).toString(), b.dest());
            return null;
        }

        @Override
        public Void bindRw(Step.BindRw b) {
            String dest = hostView && b.origin() == Step.Origin.WORKSPACE ? b.host().toString() : b.dest();
            add(o, "--bind", stage(own(b.idmap(), StagedBinds.Kind.PLAIN, StagedBinds.Kind.OWN), b.source(),
                    b.origin().describe(dest)).toString(), dest);
            return null;
        }

        @Override
        public Void bindDev(Step.BindDev b) {
            add(o, "--dev-bind", stage(StagedBinds.Kind.DEV, b.source(), b.origin().describe(b.dest())).toString(), b.dest());
            return null;
        }

        @Override
        public Void symlink(Step.Symlink s) {
            if (!consolidated(s.dest())) {
                add(o, "--symlink", s.target(), s.dest());
            }
            return null;
        }

        @Override
        public Void dir(Step.Dir d) {
            add(o, "--perms", String.format("%04o", d.mode()), "--dir", d.dest());
            return null;
        }

        @Override
        public Void tmpfs(Step.Tmpfs t) {
            t.size().ifPresent(size -> add(o, "--size", Long.toString(size.bytes())));
            add(o, "--perms", String.format("%04o", t.mode()), "--tmpfs", t.dest());
            return null;
        }

        @Override
        public Void proc(Step.Proc p) {
            add(o, "--proc", p.dest());
            return null;
        }

        @Override
        public Void dev(Step.Dev d) {
            add(o, "--dev", d.dest());
            return null;
        }

        @Override
        public Void hideDir(Step.HideDir h) {
            add(o, "--perms", "0000", "--tmpfs", h.dest(), "--remount-ro", h.dest());
            return null;
        }

        @Override
        public Void hideFile(Step.HideFile h) {
            if (coverStage == null) {
                coverStage = stage(StagedBinds.Kind.PLAIN_RO, cover.orElseThrow(() -> new IllegalStateException(
                        "bubblewrap: the plan hides the file " + h.dest() + " but the session made no cover for it")),
                        "the hidden files' cover");
            }
            add(o, "--ro-bind", coverStage.toString(), h.dest());
            return null;
        }

        @Override
        public Void remountRo(Step.RemountRo r) {
            if (etcBound && r.dest().equals("/")) {
                add(o, "--remount-ro", "/etc");
                etcBound = false;
            }
            add(o, "--remount-ro", r.dest());
            return null;
        }

        @Override
        public Void note(Step.Note s) {
            return null;
        }

        @Override
        public Void setUser(Step.SetUser u) {
            user = u;
            add(o, "--uid", Integer.toUnsignedString(u.uid()), "--gid", Integer.toUnsignedString(u.gid()));
            return null;
        }

        @Override
        public Void dropCaps(Step.DropCaps d) {
            dropCaps = true;
            add(o, "--cap-drop", "ALL");
            d.keep().stream().sorted().forEach(c -> add(o, "--cap-add", c));
            return null;
        }

        @Override
        public Void noNewPrivs(Step.NoNewPrivs s) {
            return null; // bwrap always sets PR_SET_NO_NEW_PRIVS before it execs the command
        }

        @Override
        public Void dieWithParent(Step.DieWithParent s) {
            o.add("--die-with-parent");
            return null;
        }

        @Override
        public Void newSession(Step.NewSession s) {
            o.add("--new-session");
            return null;
        }

        @Override
        public Void seccomp(Step.Seccomp s) {
            // the one program (the session wrote it to the file the launcher opens on SECCOMP_FD)
            add(o, features.addSeccompFd() ? "--add-seccomp-fd" : "--seccomp", Integer.toString(SECCOMP_FD));
            seccomp = true;
            return null;
        }

        @Override
        public Void clearEnv(Step.ClearEnv s) {
            o.add("--clearenv");
            return null;
        }

        @Override
        public Void setEnv(Step.SetEnv e) {
            add(o, "--setenv", e.name(), e.value());
            return null;
        }

        @Override
        public Void chdir(Step.Chdir c) {
            add(o, "--chdir", c.dir());
            return null;
        }

        @Override
        public Void exec(Step.Exec e) {
            command = e.argv();
            return null;
        }

        private boolean consolidated(String dest) {
            return etc.isPresent() && etc.get().view().consolidated().contains(dest);
        }

        /**
         * True for a plain bind of an image directory directly below /etc that is the only mount at or below its
         * destination: the view's own directory is its mount point.
         */
        private boolean carriedByView(Step.BindRo bind) {
            String dest = bind.dest();
            if (bind.origin() != Step.Origin.IMAGE || bind.idmap().isPresent() || !bind.source().directory()
                    || !dest.startsWith("/etc/") || dest.indexOf('/', "/etc/".length()) >= 0 || dest.length() == "/etc/".length()) {
                return false;
            }
            for (Step s : plan.steps()) {
                String other = destOf(s);
                if (s != bind && other != null && (other.equals(dest) || other.startsWith(dest + "/"))) {
                    return false;
                }
            }
            return true;
        }
    }

    /** The destination of a step that mounts or makes something in the view, else null. */
    static String destOf(Step s) {
        return s instanceof Step.BindRo b ? b.dest() : s instanceof Step.BindRw b ? b.dest()
                : s instanceof Step.BindDev b ? b.dest() : s instanceof Step.Symlink l ? l.dest()
                : s instanceof Step.Tmpfs t ? t.dest() : s instanceof Step.HideDir h ? h.dest()
                : s instanceof Step.HideFile h ? h.dest() : s instanceof Step.RemountRo r ? r.dest() : null;
    }

    /** True for a mount or symlink step whose destination lies below /etc. */
    private static boolean underEtc(Step step) {
        String dest = step instanceof Step.RemountRo ? null : destOf(step);
        return dest != null && dest.startsWith("/etc/");
    }

    private static void add(List<String> o, String... args) {
        o.addAll(List.of(args));
    }
}
