package dev.sandbox4j.linux.internal.rootfs;

import static dev.sandbox4j.linux.internal.rootfs.Sh.quote;

import dev.sandbox4j.InvalidInputException;
import dev.sandbox4j.linux.internal.plan.SandboxPlan;
import dev.sandbox4j.linux.internal.plan.Step;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Executes the file-system part of a {@link SandboxPlan} as the POSIX shell script of a {@link RootHolder}:
 * a fresh tmpfs at the root mount point, then every step in plan order with util-linux {@code mount}, then
 * the root remounted read-only. It runs as root in the sandbox's private mount namespace, in the host's
 * view of the file system, so:
 * <ul>
 *   <li>every sandbox path is first resolved through the plan's own symlinks ({@link RootPaths}) and then
 *       checked component by component to contain no symlink, so that no mount, directory or file lands
 *       outside the root through a link of the image;</li>
 *   <li>no mount may lie inside a read-write mount (the workspace): the sandbox controls what is there and
 *       could plant a link between check and mount;</li>
 *   <li>every mount is nosuid and nodev (devices only on the few /dev nodes), read-only binds are
 *       non-recursive.</li>
 * </ul>
 * The script prints {@code S4J-READY} when the root is complete, or {@code S4J-FAIL <what>} and exits.
 * Then it blocks reading its stdin; at EOF (the sandbox closed, or the JVM died) it runs the cleanup
 * lines. Pure: builds text only.
 */
public final class MountScript {
    /** What the engine adds on its own, which decides the /proc and /dev steps. */
    public enum Engine {
        /** chroot: no /proc (a /proc of the host's pid namespace would show other roots); /dev from a few host nodes. */
        CHROOT,
        /** systemd-nspawn mounts its own /proc, /dev, /sys and /run: only their mount points are made. */
        NSPAWN
    }

    /** The marker printed once the root is complete. */
    public static final String READY = "S4J-READY";
    /** The marker that starts a failure line. */
    public static final String FAIL = "S4J-FAIL";
    /** The device nodes a chroot's /dev shows, bound from the host's. */
    public static final List<String> DEV_NODES = List.of("null", "zero", "full", "random", "urandom");
    /** Mount points systemd-nspawn needs in a root that it cannot write. */
    static final List<String> NSPAWN_MOUNT_POINTS = List.of("/proc", "/sys", "/dev", "/run", "/tmp", "/var", "/root", "/etc");
    /** Size of the root tmpfs: it holds only mount points, symlinks and empty files. */
    static final String ROOT_TMPFS_SIZE = "16m";

    private MountScript() {
    }

    /**
     * @param plan       the plan (only its file-system steps are executed)
     * @param engine     which engine enters the root
     * @param root       the host mount point of the new root
     * @param emptyFile  an empty, mode 0000 host file, bound over hidden files
     * @param idmapped   read-write host directories to the {@code /proc/<jvm>/fd/<n>} of their idmapped clone
     * @param prelude    lines run first (after the helpers are defined)
     * @param cleanup    lines run at EOF on stdin
     */
    public static String of(SandboxPlan plan, Engine engine, Path root, Path emptyFile, Map<Path, Path> idmapped,
                            List<String> prelude, List<String> cleanup) {
        RootPaths paths = new RootPaths(plan.steps());
        List<String> rw = new ArrayList<>();
        Points points = new Points();
        StringBuilder s = new StringBuilder();
        for (Step step : plan.steps()) {
            if (step instanceof Step.BindRo b) {
                String d = checked(paths.resolve(b.dest()), rw, b);
                point(s, points, d, Files.isDirectory(b.host()));
                s.append("mount --bind -o ro,nosuid,nodev ").append(quote(b.host().toString())).append(" \"$R\"")
                        .append(quote(d)).append(" || fail ").append(quote(b.toString())).append('\n');
                points.mounted(d);
            } else if (step instanceof Step.BindRw b) {
                String d = checked(paths.resolve(b.dest()), rw, b);
                Path clone = idmapped.get(b.host());
                point(s, points, d, Files.isDirectory(b.host()));
                if (clone != null) {
                    // the idmapped clone is reachable only through the JVM's descriptor: attach it by moving it
                    s.append("cd ").append(quote(clone.toString())).append(" && mount --move . \"$R\"").append(quote(d))
                            .append(" || fail ").append(quote(b + " (idmapped)")).append("\ncd /\n");
                } else {
                    s.append("mount --bind -o nosuid,nodev ").append(quote(b.host().toString())).append(" \"$R\"")
                            .append(quote(d)).append(" || fail ").append(quote(b.toString())).append('\n');
                }
                rw.add(d);
                points.mounted(d);
            } else if (step instanceof Step.Symlink l) {
                String d = checked(paths.resolveParent(l.dest()), rw, l);
                String parent = parentOf(d);
                if (points.onRoot(parent)) {
                    if (!parent.equals("/")) {
                        points.add(parent, true);
                    }
                } else {
                    s.append("nolink ").append(quote(parent)).append("\nmkdir -p \"$R\"").append(quote(parent))
                            .append(" || fail ").append(quote("the directory of " + l)).append('\n');
                }
                s.append("ln -s ").append(quote(l.target())).append(" \"$R\"").append(quote(d)).append(" || fail ")
                        .append(quote(l.toString())).append('\n');
            } else if (step instanceof Step.Tmpfs t) {
                String d = checked(paths.resolve(t.dest()), rw, t);
                point(s, points, d, true);
                s.append("mount -t tmpfs -o mode=").append(String.format("%04o", t.mode()))
                        .append(t.size().map(z -> ",size=" + z.bytes()).orElse("")).append(",nosuid,nodev sandbox4j-tmpfs \"$R\"")
                        .append(quote(d)).append(" || fail ").append(quote(t.toString())).append('\n');
                points.mounted(d);
            } else if (step instanceof Step.Proc p) {
                if (engine == Engine.NSPAWN) {
                    point(s, points, checked(paths.resolve(p.dest()), rw, p), true);
                } else {
                    s.append("# ").append(p).append(": none in a chroot (the host's pids would show other roots)\n");
                }
            } else if (step instanceof Step.Dev d) {
                String dest = checked(paths.resolve(d.dest()), rw, d);
                point(s, points, dest, true);
                if (engine == Engine.CHROOT) {
                    for (String n : DEV_NODES) {
                        String node = dest + "/" + n;
                        s.append(": > \"$R\"").append(quote(node)).append(" && mount --bind -o nosuid,noexec /dev/")
                                .append(n).append(" \"$R\"").append(quote(node)).append(" || fail 'dev node ").append(n)
                                .append("'\n");
                    }
                }
            } else if (step instanceof Step.HideDir h) {
                String d = checked(paths.resolve(h.dest()), rw, h);
                s.append("nolink ").append(quote(d)).append("\nmount -t tmpfs -o ro,mode=0000,size=4k,nosuid,nodev,noexec")
                        .append(" sandbox4j-hidden \"$R\"").append(quote(d)).append(" || fail ").append(quote(h.toString()))
                        .append('\n');
                points.mounted(d);
            } else if (step instanceof Step.HideFile h) {
                String d = checked(paths.resolve(h.dest()), rw, h);
                s.append("nolink ").append(quote(d)).append("\nmount --bind -o ro,nosuid,nodev,noexec ")
                        .append(quote(emptyFile.toString())).append(" \"$R\"").append(quote(d)).append(" || fail ")
                        .append(quote(h.toString())).append('\n');
                points.mounted(d);
            } else if (step instanceof Step.RemountRo r) {
                if (!r.dest().equals("/")) {
                    throw new IllegalStateException("only the root is remounted read-only by this executor: " + r);
                }
                if (engine == Engine.NSPAWN) {
                    NSPAWN_MOUNT_POINTS.forEach(mp -> point(s, points, paths.resolve(mp), true));
                }
                s.append("mount -o remount,bind,ro,nosuid,nodev \"$R\" || fail 'remount the root read-only'\n");
            } else if (step instanceof Step.BindDev b) {
                throw new IllegalStateException("a root-file-system backend never shows the host's devices: " + b);
            }
            // the seccomp filter is loaded by each exec's s4j-launch --guard (SetuidGuard); namespaces, credentials, rlimits, cgroups, environment and exec are the exec chain's business
        }
        StringBuilder head = new StringBuilder();
        head.append("set -u\nexec 2>&1\n");
        head.append("fail() { printf '%s %s\\n' ").append(quote(FAIL)).append(" \"$1\"; exit 1; }\n");
        head.append(NOLINK);
        head.append("R=").append(quote(root.toString())).append('\n');
        prelude.forEach(l -> head.append(l).append('\n'));
        head.append("mount -t tmpfs -o mode=0755,nosuid,nodev,size=").append(ROOT_TMPFS_SIZE)
                .append(" sandbox4j-root \"$R\" || fail 'tmpfs on the root'\n");
        points.emit(head);
        s.insert(0, head);
        s.append("echo ").append(READY).append('\n');
        s.append("exec >/dev/null 2>&1\n");
        s.append("read _ || true\n");
        cleanup.forEach(l -> s.append(l).append('\n'));
        return s.toString();
    }

    /** Refuses a path inside an earlier read-write mount, whose content the sandbox controls. */
    private static String checked(String dest, List<String> rw, Step step) {
        for (String w : rw) {
            if (dest.startsWith(w.equals("/") ? "/" : w + "/")) {
                throw new InvalidInputException("filesystem: " + step + " lies inside the read-write mount " + w
                        + ", whose content the sandbox controls, so it cannot be mounted safely; choose a sandbox path"
                        + " outside " + w);
            }
        }
        return dest;
    }

    /**
     * Makes the mount point (a directory, or an empty file) after checking it crosses no symlink. A point on
     * the fresh root tmpfs itself (no mount made so far covers it) is made up front, with all the others, in
     * one mkdir: there it can only meet the plan's own symlinks, which the path is already resolved through.
     */
    private static void point(StringBuilder s, Points points, String dest, boolean directory) {
        if (points.onRoot(dest)) {
            points.add(dest, directory);
            return;
        }
        s.append("nolink ").append(quote(dest)).append('\n');
        if (directory) {
            s.append("mkdir -p \"$R\"").append(quote(dest)).append(" || fail ").append(quote("mount point " + dest)).append('\n');
        } else {
            s.append("mkdir -p \"$R\"").append(quote(parentOf(dest))).append(" && { [ -e \"$R\"").append(quote(dest))
                    .append(" ] || : > \"$R\"").append(quote(dest)).append("; } || fail ").append(quote("mount point " + dest))
                    .append('\n');
        }
    }

    /** Mount points on the root tmpfs, made in one go, and the mounts made so far. */
    private static final class Points {
        private final java.util.Set<String> dirs = new java.util.LinkedHashSet<>();
        private final java.util.Set<String> files = new java.util.LinkedHashSet<>();
        private final List<String> mounted = new ArrayList<>();

        boolean onRoot(String dest) {
            return mounted.stream().noneMatch(m -> dest.startsWith(m.equals("/") ? "/" : m + "/") || dest.equals(m));
        }

        void add(String dest, boolean directory) {
            if (directory) {
                dirs.add(dest);
            } else {
                files.add(dest);
                if (!parentOf(dest).equals("/")) {
                    dirs.add(parentOf(dest));
                }
            }
        }

        void mounted(String dest) {
            mounted.add(dest);
        }

        void emit(StringBuilder s) {
            if (!dirs.isEmpty()) {
                s.append("mkdir -p");
                dirs.forEach(d -> s.append(" \"$R\"").append(quote(d)));
                s.append(" || fail 'mount points on the root'\n");
            }
            for (String f : files) {
                s.append(": > \"$R\"").append(quote(f)).append(" || fail ").append(quote("mount point " + f)).append('\n');
            }
        }
    }

    private static String parentOf(String p) {
        int i = p.lastIndexOf('/');
        return i <= 0 ? "/" : p.substring(0, i);
    }

    /** Fails when a component of the sandbox path $1 below $R exists and is a symlink. */
    static final String NOLINK = """
            nolink() {
              _p=$R; _rest=${1#/}
              while [ -n "$_rest" ]; do
                _c=${_rest%%/*}
                case $_rest in */*) _rest=${_rest#*/} ;; *) _rest= ;; esac
                _p=$_p/$_c
                if [ -L "$_p" ]; then fail "mount point $1: $_p is a symbolic link in the image"; fi
              done
              return 0
            }
            """;
}
