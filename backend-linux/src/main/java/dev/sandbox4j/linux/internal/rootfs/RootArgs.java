package dev.sandbox4j.linux.internal.rootfs;

import dev.sandbox4j.InvalidInputException;
import dev.sandbox4j.NetworkPolicy;
import dev.sandbox4j.linux.internal.plan.HostPath;
import dev.sandbox4j.linux.internal.plan.Idmap;
import dev.sandbox4j.linux.internal.plan.SandboxPlan;
import dev.sandbox4j.linux.internal.plan.Step;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Turns the file-system part of a chroot or nspawn session plan into the arguments of
 * {@code s4j-launch --build-root} (see the head of s4j-root.c), the one executor of mounts: every bind as its
 * pinned source ({@code DEV:INO SRC DST}, verified by the launcher before it clones it from the descriptor),
 * the sandbox's own files idmapped with the plan's one {@link Idmap}, /proc and /dev as the engine needs them
 * ({@link Engine}), and the root made read-only last. The steps that are not the root's (user, credentials,
 * rlimits, cgroups, seccomp, the exec) are each exec's chain's. Handles every step type ({@link Step.Visitor});
 * reads the plan only, never the policy. Pure: touches no file, so it is unit-tested.
 *
 * <p>It refuses a mount, symlink or hidden path inside an earlier read-write bind of the workspace or of a
 * policy mount: what lies there is the caller's (or an earlier sandbox's), and a link planted there would
 * choose where the mount goes. (The launcher resolves every destination inside the root, so even such a link
 * could not lead out of it.)
 */
public final class RootArgs {
    private RootArgs() {
    }

    /**
     * The arguments file's content for {@code plan} (a session plan: no exec steps).
     *
     * @param root           the host directory the root is built at (in the holder's mount namespace)
     * @param cleanupCgroups cgroup directories the holder kills and removes when its stdin closes
     * @param cleanupDirs    further directories it removes then (an engine's cgroup mirrors)
     * @throws InvalidInputException for a mount inside a read-write bind (named, with the way out)
     * @throws IllegalStateException for a step a root-file-system engine never gets (a bug)
     */
    public static List<String> of(SandboxPlan plan, Engine engine, Path root, List<Path> cleanupCgroups, List<Path> cleanupDirs) {
        Translation t = new Translation(engine, new RootPaths(plan.steps()));
        for (Step s : plan.steps()) {
            s.accept(t);
        }
        List<String> out = new ArrayList<>(List.of("--root", root.toString(), "--net", t.ownNet ? "none" : "host"));
        t.idmap.ifPresent(m -> out.addAll(List.of("--idmap", m.arg())));
        if (engine == Engine.NSPAWN) {
            out.add("--run-tmpfs");
        }
        cleanupCgroups.forEach(c -> out.addAll(List.of("--cleanup-cgroup", c.toString())));
        cleanupDirs.forEach(d -> out.addAll(List.of("--cleanup-dir", d.toString())));
        out.addAll(t.view);
        return out;
    }

    /** The translation of one plan, step by step. */
    private static final class Translation implements Step.Visitor<Void> {
        final Engine engine;
        final RootPaths paths;
        final List<String> view = new ArrayList<>();
        /** Sandbox paths of the read-write binds whose content the sandbox's caller controls. */
        final List<String> rw = new ArrayList<>();
        Optional<Idmap> idmap = Optional.empty();
        boolean ownNet;

        Translation(Engine engine, RootPaths paths) {
            this.engine = engine;
            this.paths = paths;
        }

        /** {@code dest} resolved through the plan's own symlinks, refused inside an earlier read-write bind. */
        private void check(String dest, Step step) {
            checkResolved(paths.resolve(dest), step);
        }

        private void checkResolved(String resolved, Step step) {
            for (String w : rw) {
                if (resolved.startsWith(w.equals("/") ? "/" : w + "/")) {
                    throw new InvalidInputException("filesystem: " + step + " lies inside the read-write mount " + w
                            + ", whose content the sandbox controls, so it cannot be mounted safely; choose a sandbox path"
                            + " outside " + w);
                }
            }
        }

        private void bind(String flag, HostPath source, String dest, Optional<Idmap> map, Step step) {
            check(dest, step);
            map.ifPresent(m -> {
                if (idmap.isPresent() && !idmap.get().equals(m)) {
                    throw new IllegalStateException(engine.backend() + ": two idmappings in one plan (" + idmap.get() + ", "
                            + m + "); the launcher makes one");
                }
                idmap = Optional.of(m);
            });
            view.addAll(List.of(map.isPresent() ? flag + "-own" : flag, source.pin(), source.path().toString(), dest));
        }

        private Void notTheRoots() {
            return null; // each exec's chain's, or the engine's own
        }

        @Override
        public Void joinStorage(Step.JoinStorage s) {
            throw new IllegalStateException(engine.backend() + " runs only under a root JVM, whose disk storage is the host's: " + s);
        }

        @Override
        public Void unshareUser(Step.UnshareUser s) {
            return notTheRoots();
        }

        @Override
        public Void unsharePid(Step.UnsharePid s) {
            return notTheRoots();
        }

        @Override
        public Void unshareNet(Step.UnshareNet s) {
            if (engine == Engine.CHROOT) {
                throw new IllegalStateException("a chroot shares the host's network; the plan asks for " + s);
            }
            // none: the holder's namespace with its loopback down, which each exec joins; loopback: nspawn's own
            ownNet = s.mode() == NetworkPolicy.Mode.NONE;
            return null;
        }

        @Override
        public Void unshareIpc(Step.UnshareIpc s) {
            return notTheRoots();
        }

        @Override
        public Void unshareUts(Step.UnshareUts s) {
            return notTheRoots();
        }

        @Override
        public Void unshareCgroup(Step.UnshareCgroup s) {
            return notTheRoots();
        }

        @Override
        public Void disableUserns(Step.DisableUserns s) {
            return notTheRoots();
        }

        @Override
        public Void cgroupLimits(Step.CgroupLimits s) {
            return notTheRoots();
        }

        @Override
        public Void joinCgroups(Step.JoinCgroups s) {
            return notTheRoots();
        }

        @Override
        public Void rlimit(Step.Rlimit s) {
            return notTheRoots();
        }

        @Override
        public Void bindRo(Step.BindRo s) {
            bind("--ro-bind", s.source(), s.dest(), s.idmap(), s);
            return null;
        }

        @Override
        public Void bindRw(Step.BindRw s) {
            bind("--bind", s.source(), s.dest(), s.idmap(), s);
            if (s.origin() != Step.Origin.STORAGE) {
                // a storage directory is fresh and empty: nothing in it was planted before the root is built
                rw.add(paths.resolve(s.dest()));
            }
            return null;
        }

        @Override
        public Void bindDev(Step.BindDev s) {
            throw new IllegalStateException(engine.backend() + " never shows the host's devices: " + s);
        }

        @Override
        public Void symlink(Step.Symlink s) {
            checkResolved(paths.resolveParent(s.dest()), s);
            view.addAll(List.of("--symlink", s.target(), s.dest()));
            return null;
        }

        @Override
        public Void dir(Step.Dir s) {
            check(s.dest(), s);
            view.addAll(List.of("--dir", s.dest(), Integer.toOctalString(s.mode())));
            return null;
        }

        @Override
        public Void tmpfs(Step.Tmpfs s) {
            check(s.dest(), s);
            view.addAll(List.of("--tmpfs", s.dest(), Long.toString(s.size().map(x -> x.bytes()).orElse(0L)),
                    Integer.toOctalString(s.mode())));
            return null;
        }

        @Override
        public Void proc(Step.Proc s) {
            if (engine == Engine.NSPAWN) {
                check(s.dest(), s);
                view.addAll(List.of("--mount-point", s.dest()));
            }
            return null; // a chroot gets none: a /proc of the host's pid namespace would show other processes' roots
        }

        @Override
        public Void dev(Step.Dev s) {
            check(s.dest(), s);
            view.addAll(List.of(engine == Engine.CHROOT ? "--dev-nodes" : "--mount-point", s.dest()));
            return null;
        }

        @Override
        public Void hideDir(Step.HideDir s) {
            check(s.dest(), s);
            view.addAll(List.of("--hide", s.dest()));
            return null;
        }

        @Override
        public Void hideFile(Step.HideFile s) {
            check(s.dest(), s);
            view.addAll(List.of("--hide", s.dest()));
            return null;
        }

        @Override
        public Void remountRo(Step.RemountRo s) {
            if (!s.dest().equals("/")) {
                throw new IllegalStateException("only the root is made read-only by this executor: " + s);
            }
            if (engine == Engine.NSPAWN) {
                Engine.NSPAWN_MOUNT_POINTS.forEach(p -> view.addAll(List.of("--mount-point", p)));
            }
            view.addAll(List.of("--remount-ro", "/"));
            return null;
        }

        @Override
        public Void note(Step.Note s) {
            return null;
        }

        @Override
        public Void setUser(Step.SetUser s) {
            return notTheRoots();
        }

        @Override
        public Void dropCaps(Step.DropCaps s) {
            return notTheRoots();
        }

        @Override
        public Void noNewPrivs(Step.NoNewPrivs s) {
            return notTheRoots();
        }

        @Override
        public Void dieWithParent(Step.DieWithParent s) {
            return notTheRoots();
        }

        @Override
        public Void newSession(Step.NewSession s) {
            return notTheRoots();
        }

        @Override
        public Void seccomp(Step.Seccomp s) {
            return notTheRoots(); // loaded by each exec's s4j-launch --guard (SetuidGuard)
        }

        @Override
        public Void clearEnv(Step.ClearEnv s) {
            return notTheRoots();
        }

        @Override
        public Void setEnv(Step.SetEnv s) {
            return notTheRoots();
        }

        @Override
        public Void chdir(Step.Chdir s) {
            return notTheRoots();
        }

        @Override
        public Void exec(Step.Exec s) {
            return notTheRoots();
        }
    }
}
