package dev.sandbox4j.linux.internal.bwrap;

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
 * {@link #SECCOMP_FD}, stage binds and change ids: {@link StagedBinds}). Pure: no I/O.
 */
public final class BwrapArgs {
    /** The fd on which the launcher opens the seccomp program for {@code --seccomp}. */
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
     * @param seccomp     the BPF program to open on {@link #SECCOMP_FD}
     * @param staging     what the launcher prepares as root, and the ids bwrap runs as
     */
    public record Invocation(List<String> options, List<String> command, List<Rlimits.Limit> rlimits,
                             List<Path> cgroupProcs, Optional<byte[]> seccomp, StagedBinds staging) {
        public Invocation {
            options = List.copyOf(options);
            command = List.copyOf(command);
            rlimits = List.copyOf(rlimits);
            cgroupProcs = List.copyOf(cgroupProcs);
        }
    }

    private BwrapArgs() {
    }

    /** Where hidden files are covered from when the caller gives no cover of its own. */
    static final Path DEFAULT_COVER = Path.of("/dev/null");

    /** {@link #of(SandboxPlan, BwrapFeatures, Optional, Path, Optional, StagedBinds)} without an exec shim, /etc view or staging, hidden files covered by /dev/null. */
    public static Invocation of(SandboxPlan plan, BwrapFeatures features) {
        return of(plan, features, Optional.empty(), DEFAULT_COVER, Optional.empty(), StagedBinds.none());
    }

    /**
     * @param plan     a plan with its exec steps
     * @param features what the installed bwrap supports
     * @param envShim  the sandbox path of {@code env} in the view, if it has one. bwrap always exports
     *                 PWD after its chdir and exits 1 (not 127) when the program is missing; running the
     *                 command as {@code env -u PWD -- argv} gives exactly the planned environment and the
     *                 shell's 127/126 with the program named. Not used when argv[0] holds '=' (env would
     *                 read it as an assignment).
     * @param cover    an empty host file of mode 0000 bound read-only over every hidden file (bwrap binds
     *                 with nodev, so /dev/null would not even open)
     * @param etc      one directory standing for the plan's /etc files ({@link EtcView}), if the session made one
     * @param staging  the binds the launcher stages (bound from their mount points) and the ids bwrap runs as
     */
    public static Invocation of(SandboxPlan plan, BwrapFeatures features, Optional<String> envShim, Path cover,
                                Optional<EtcView> etc, StagedBinds staging) {
        boolean etcBound = false;
        boolean etcDone = false;
        // with the host's whole file system the workspace shows at its own host path: a mount point at
        // /workspace would be made on the host's real root (and stay there)
        boolean hostView = hostView(plan);
        List<String> o = new ArrayList<>();
        List<String> command = List.of();
        List<Rlimits.Limit> rlimits = new ArrayList<>();
        List<Path> procs = new ArrayList<>();
        Optional<byte[]> seccomp = Optional.empty();
        for (Step step : plan.steps()) {
            if (etc.isPresent() && !etcDone && underEtc(step)) {
                // before every other mount below /etc (the plan orders them by path: /etc/alternatives comes
                // before /etc/group): a bind made earlier would be covered by the view's empty mount point
                add(o, "--bind", etc.get().dir().toString(), "/etc");
                etcBound = true;
                etcDone = true;
            }
            if (step instanceof Step.UnshareUser) {
                o.add("--unshare-user");
            } else if (step instanceof Step.UnsharePid) {
                o.add("--unshare-pid");
            } else if (step instanceof Step.UnshareNet) {
                // bwrap brings the new namespace's loopback up itself
                o.add("--unshare-net");
            } else if (step instanceof Step.UnshareIpc) {
                o.add("--unshare-ipc");
            } else if (step instanceof Step.UnshareUts u) {
                add(o, "--unshare-uts", "--hostname", u.hostname());
            } else if (step instanceof Step.UnshareCgroup) {
                o.add("--unshare-cgroup-try");
            } else if (step instanceof Step.DisableUserns) {
                // older bwrap: the seccomp filter's clone/unshare rules still stop nested namespaces
                if (features.disableUserns()) {
                    o.add("--disable-userns");
                }
            } else if (step instanceof Step.JoinCgroups j) {
                procs.addAll(j.procsFiles());
            } else if (step instanceof Step.Rlimit r) {
                rlimits.add(r.limit());
            } else if (etc.isPresent() && isConsolidated(step, etc.get())) {
                // shown by the view, bound above: read-write only while bwrap sets up (it makes the remaining
                // /etc mount points in it); remounted read-only before the root is, long before the command runs
                continue;
            } else if (staging.inEtcView(step)) {
                // staged by the launcher into the view bound above, which carries it
                continue;
            } else if (step instanceof Step.BindRo b) {
                add(o, "--ro-bind", staging.source(step, b.host()).toString(), b.dest());
            } else if (step instanceof Step.BindRw b) {
                add(o, "--bind", staging.source(step, b.host()).toString(),
                        hostView && b.dest().equals(SandboxPlan.WORKSPACE) ? b.host().toString() : b.dest());
            } else if (step instanceof Step.BindDev b) {
                add(o, "--dev-bind", staging.source(step, b.host()).toString(), b.dest());
            } else if (step instanceof Step.Symlink s) {
                add(o, "--symlink", s.target(), s.dest());
            } else if (step instanceof Step.Tmpfs t) {
                t.size().ifPresent(size -> add(o, "--size", Long.toString(size.bytes())));
                add(o, "--perms", octal(t.mode()), "--tmpfs", t.dest());
            } else if (step instanceof Step.Proc p) {
                add(o, "--proc", p.dest());
            } else if (step instanceof Step.Dev d) {
                add(o, "--dev", d.dest());
            } else if (step instanceof Step.HideDir h) {
                add(o, "--perms", "0000", "--tmpfs", h.dest(), "--remount-ro", h.dest());
            } else if (step instanceof Step.HideFile h) {
                add(o, "--ro-bind", cover.toString(), h.dest());
            } else if (step instanceof Step.RemountRo r) {
                if (etcBound && r.dest().equals("/")) {
                    add(o, "--remount-ro", "/etc");
                    etcBound = false;
                }
                add(o, "--remount-ro", r.dest());
            } else if (step instanceof Step.SetUser u) {
                add(o, "--uid", Integer.toString(u.uid()), "--gid", Integer.toString(u.gid()));
            } else if (step instanceof Step.DropCaps d) {
                add(o, "--cap-drop", "ALL");
                d.keep().stream().sorted().forEach(c -> add(o, "--cap-add", c));
            } else if (step instanceof Step.NoNewPrivs) {
                // bwrap always sets PR_SET_NO_NEW_PRIVS before it execs the command: nothing to add
                continue;
            } else if (step instanceof Step.DieWithParent) {
                o.add("--die-with-parent");
            } else if (step instanceof Step.NewSession) {
                o.add("--new-session");
            } else if (step instanceof Step.Seccomp s) {
                // --seccomp and --add-seccomp-fd exclude each other; the launcher adds the guard with the latter
                add(o, features.addSeccompFd() ? "--add-seccomp-fd" : "--seccomp", Integer.toString(SECCOMP_FD));
                seccomp = Optional.of(s.filter().bpf());
            } else if (step instanceof Step.ClearEnv) {
                o.add("--clearenv");
            } else if (step instanceof Step.SetEnv e) {
                add(o, "--setenv", e.name(), e.value());
            } else if (step instanceof Step.Chdir c) {
                add(o, "--chdir", c.dir());
            } else if (step instanceof Step.Exec e) {
                command = e.argv();
            } else if (step instanceof Step.Note) {
                continue;
            } else {
                throw new IllegalStateException("bubblewrap cannot execute plan step " + step);
            }
        }
        if (command.isEmpty()) {
            throw new IllegalArgumentException("plan has no exec step:\n" + plan);
        }
        if (etcBound) {
            throw new IllegalStateException("the /etc view would stay writable: the plan has no final read-only root\n" + plan);
        }
        if (envShim.isPresent() && !command.get(0).contains("=")) {
            List<String> shimmed = new ArrayList<>(List.of(envShim.get(), "-u", "PWD", "--"));
            shimmed.addAll(command);
            command = shimmed;
        }
        return new Invocation(o, command, rlimits, procs, seccomp, staging);
    }

    /** True when the plan shows the host's whole file system (a bind of / with devices). */
    static boolean hostView(SandboxPlan plan) {
        return plan.stepsOf(Step.BindDev.class).stream().anyMatch(b -> b.dest().equals("/"));
    }

    /** True for a mount or symlink step whose destination lies below /etc. */
    private static boolean underEtc(Step step) {
        String dest = step instanceof Step.BindRo b ? b.dest() : step instanceof Step.BindRw b ? b.dest()
                : step instanceof Step.BindDev b ? b.dest() : step instanceof Step.Symlink l ? l.dest()
                : step instanceof Step.Tmpfs t ? t.dest() : step instanceof Step.HideDir h ? h.dest()
                : step instanceof Step.HideFile h ? h.dest() : null;
        return dest != null && dest.startsWith("/etc/");
    }

    private static boolean isConsolidated(Step step, EtcView etc) {
        return step instanceof Step.BindRo b && etc.consolidated().contains(b.dest())
                || step instanceof Step.Symlink l && etc.consolidated().contains(l.dest());
    }

    private static void add(List<String> o, String... args) {
        o.addAll(List.of(args));
    }

    private static String octal(int mode) {
        return String.format("%04o", mode);
    }
}
