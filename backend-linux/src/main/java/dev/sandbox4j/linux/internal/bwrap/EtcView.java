package dev.sandbox4j.linux.internal.bwrap;

import dev.sandbox4j.SandboxStartException;
import dev.sandbox4j.linux.internal.plan.SandboxPlan;
import dev.sandbox4j.linux.internal.plan.Step;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One directory that stands for the plan's /etc files, so that bwrap makes one mount for them instead of
 * one per file (each bind costs bwrap a mount and a read-only remount on every exec; the ~20 /etc entries
 * of {@code SandboxImage.host()} were a quarter of an exec's cost here). The session copies the plan's
 * single-file /etc binds (host files and generated ones) and recreates its /etc symlinks in
 * {@code <privateDir>/etc} once at open; {@link BwrapArgs} binds that directory at /etc, lets bwrap make
 * the mount points of the remaining /etc mounts (directories such as /etc/ssl) in it, and remounts /etc
 * read-only before the command runs. The launcher stages the view (read-only) like every bind, and attaches
 * the image's directories below /etc read-only on their mount points in the view's clone, in its private
 * mount namespace, so that bwrap's recursive bind of the view carries them ({@link StagedBinds}). The view is
 * bound before any other mount below /etc, which it would otherwise cover. The sandbox sees the same files as
 * with one bind each. Only the image's and the generated files are copied (root's /etc, the session's own
 * files), never a policy mount's, whose source its owner could replace. Sessions with the same /etc share one
 * such directory ({@link EtcViewCache}).
 *
 * @param dir          the host directory shown at /etc
 * @param consolidated the /etc destinations it replaces
 */
public record EtcView(Path dir, Set<String> consolidated) {
    public EtcView {
        consolidated = Set.copyOf(consolidated);
    }

    /**
     * Builds the view for {@code plan} in {@code privateDir}, or nothing when the plan has no /etc files
     * or mounts something at /etc itself (then the per-file binds stay). Generated files are written from
     * the plan's contents, so they need not exist on disk.
     */
    static Optional<EtcView> materialize(SandboxPlan plan, Path privateDir) {
        Set<String> consolidated = consolidated(plan);
        if (consolidated.isEmpty()) {
            return Optional.empty();
        }
        Path dir = privateDir.resolve("etc");
        build(plan, consolidated, dir);
        return Optional.of(new EtcView(dir, consolidated));
    }

    /**
     * The /etc destinations one directory can stand for: the single-file binds (host files and generated
     * ones) and the symlinks directly below /etc. Empty when the plan mounts something at /etc itself.
     */
    static Set<String> consolidated(SandboxPlan plan) {
        Set<String> consolidated = new LinkedHashSet<>();
        for (Step s : plan.steps()) {
            String dest = s instanceof Step.BindRo b ? b.dest() : s instanceof Step.BindRw b ? b.dest()
                    : s instanceof Step.Tmpfs t ? t.dest() : s instanceof Step.HideDir h ? h.dest()
                    : s instanceof Step.HideFile h ? h.dest() : s instanceof Step.Symlink l ? l.dest() : null;
            if ("/etc".equals(dest)) {
                return Set.of();
            }
            if (s instanceof Step.BindRo b && isEtcChild(b.dest()) && !b.source().directory() && b.idmap().isEmpty()
                    && (b.origin() == Step.Origin.GENERATED || b.origin() == Step.Origin.IMAGE)) {
                consolidated.add(b.dest());
            } else if (s instanceof Step.Symlink l && isEtcChild(l.dest())) {
                consolidated.add(l.dest());
            }
        }
        return consolidated;
    }

    /** Writes the view of {@code consolidated} into the new directory {@code dir} (made 0755 at the end). */
    static void build(SandboxPlan plan, Set<String> consolidated, Path dir) {
        try {
            Files.createDirectory(dir);
            for (Step s : plan.steps()) {
                if (s instanceof Step.BindRo b && consolidated.contains(b.dest())) {
                    Path copy = dir.resolve(name(b.dest()));
                    String generated = plan.generatedFiles().get(b.host());
                    if (generated != null) {
                        Files.writeString(copy, generated);
                    } else {
                        checkPinned(b);
                        Files.copy(b.host(), copy, StandardCopyOption.REPLACE_EXISTING, LinkOption.NOFOLLOW_LINKS);
                    }
                    // the copy is shown to the sandbox's user, so it must be readable
                    Files.setPosixFilePermissions(copy, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
                } else if (s instanceof Step.Symlink l && consolidated.contains(l.dest())) {
                    Path link = dir.resolve(name(l.dest()));
                    Files.deleteIfExists(link);
                    Files.createSymbolicLink(link, Path.of(l.target()));
                }
            }
            makeMountPoints(plan, consolidated, dir);
            Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (IOException e) {
            throw new SandboxStartException("preparing the sandbox's /etc in " + dir + " failed: " + e, e);
        }
    }

    /**
     * The mount points of the plan's other mounts below /etc, made now by the JVM: the view is staged
     * read-only, so neither the launcher nor bwrap can make one in it.
     */
    private static void makeMountPoints(SandboxPlan plan, Set<String> consolidated, Path dir) throws IOException {
        Set<String> mounted = new LinkedHashSet<>();
        for (Step s : plan.steps()) {
            String dest = s instanceof Step.BindRo b ? b.dest() : s instanceof Step.BindRw b ? b.dest()
                    : s instanceof Step.BindDev b ? b.dest() : s instanceof Step.Tmpfs t ? t.dest()
                    : s instanceof Step.HideDir h ? h.dest() : s instanceof Step.HideFile h ? h.dest() : null;
            if (dest == null || !dest.startsWith("/etc/") || consolidated.contains(dest)
                    || mounted.stream().anyMatch(m -> dest.startsWith(m + "/"))) {
                continue;
            }
            mounted.add(dest);
            Path point = dir.resolve(dest.substring("/etc/".length()));
            boolean directory = s instanceof Step.Tmpfs || s instanceof Step.HideDir
                    || s instanceof Step.BindRo b && b.source().directory()
                    || s instanceof Step.BindRw b && b.source().directory()
                    || s instanceof Step.BindDev b && b.source().directory();
            Files.createDirectories(point.getParent());
            if (directory) {
                Files.createDirectories(point);
            } else if (!Files.exists(point, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                Files.createFile(point);
            }
        }
    }

    /** Refuses to copy a file that is no longer the one pinned (it is root's /etc: only root could replace it). */
    private static void checkPinned(Step.BindRo b) throws IOException {
        Map<String, Object> a = Files.readAttributes(b.host(), "unix:dev,ino", LinkOption.NOFOLLOW_LINKS);
        if (((Number) a.get("dev")).longValue() != b.source().device() || ((Number) a.get("ino")).longValue() != b.source().inode()) {
            throw new SandboxStartException("preparing the sandbox's /etc: " + b.host() + " was replaced since it was"
                    + " pinned (" + b.source().pin() + ", now " + a.get("dev") + ":" + a.get("ino") + "); open the sandbox again");
        }
    }

    private static boolean isEtcChild(String dest) {
        return dest.startsWith("/etc/") && dest.indexOf('/', 5) < 0;
    }

    private static String name(String dest) {
        return dest.substring("/etc/".length());
    }
}
