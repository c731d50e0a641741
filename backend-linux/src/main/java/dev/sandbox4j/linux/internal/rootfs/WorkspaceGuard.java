package dev.sandbox4j.linux.internal.rootfs;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;

/**
 * Keeps the host safe from what the sandbox writes through its idmapped read-write mounts. There the
 * sandbox's uid <em>is</em> the JVM's user (root) on disk, so a sandboxed process can create a file that
 * the host sees as root-owned and mark it set-user-ID. Inside the sandbox that grants nothing (every mount
 * is nosuid, and no new privileges), but on the host any user who can reach the file could run it as root.
 * So: the core's temp workspace is closed to other host users (0700) while the sandbox is open, and when
 * the sandbox closes every set-user-ID and set-group-ID bit in the read-write trees is cleared, walking
 * them through open directories without following any symlink. Stateless.
 */
public final class WorkspaceGuard {
    private static final System.Logger LOG = System.getLogger(WorkspaceGuard.class.getName());
    private static final int MAX_DEPTH = 64;
    private static final long STRIP_WAIT_MILLIS = 10_000;

    private WorkspaceGuard() {
    }

    /** Makes the core's own temp workspace ({@code <tmpdir>/sandbox4j-ws-...}, owned by this JVM) 0700. */
    public static void closeTempWorkspace(Path workspace) {
        Path name = workspace.getFileName();
        if (name == null || !name.toString().startsWith("sandbox4j-ws-")) {
            return;
        }
        try {
            Files.setPosixFilePermissions(workspace, PosixFilePermissions.fromString("rwx------"));
        } catch (IOException | UnsupportedOperationException e) {
            LOG.log(System.Logger.Level.WARNING, "could not close the temp workspace {0} to other users: {1}", workspace, e);
        }
    }

    /**
     * Clears S_ISUID and S_ISGID on every file below {@code root}; never follows a symlink; never throws.
     * Bounded in time: it runs on a daemon thread and is abandoned (logged) after {@code STRIP_WAIT}, so that
     * a tree another process keeps changing cannot hold close() up.
     */
    public static void stripSetId(Path root) {
        Thread t = new Thread(() -> strip(root), "sandbox4j-setid-strip");
        t.setDaemon(true);
        t.start();
        try {
            t.join(STRIP_WAIT_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (t.isAlive()) {
            LOG.log(System.Logger.Level.WARNING, "clearing set-id bits below {0} did not finish within {1} ms", root,
                    STRIP_WAIT_MILLIS);
        }
    }

    private static void strip(Path root) {
        if (!Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(root)) {
            if (ds instanceof SecureDirectoryStream<Path> sds) {
                walk(sds, 0);
            } else {
                LOG.log(System.Logger.Level.WARNING, "no secure directory stream for {0}: set-id bits not checked", root);
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "checking {0} for set-id files failed: {1}", root, e);
        }
    }

    private static void walk(SecureDirectoryStream<Path> dir, int depth) throws IOException {
        for (Path entry : dir) {
            Path name = entry.getFileName();
            PosixFileAttributeView view = dir.getFileAttributeView(name, PosixFileAttributeView.class,
                    LinkOption.NOFOLLOW_LINKS);
            PosixFileAttributes attrs;
            try {
                attrs = view.readAttributes();
            } catch (IOException gone) {
                continue;
            }
            if (attrs.isDirectory() && depth < MAX_DEPTH) {
                try (SecureDirectoryStream<Path> sub = dir.newDirectoryStream(name, LinkOption.NOFOLLOW_LINKS)) {
                    walk(sub, depth + 1);
                } catch (IOException e) {
                    LOG.log(System.Logger.Level.DEBUG, "skipping {0}: {1}", entry, e);
                }
            } else if (attrs.isRegularFile() && hasSetId(entry)) {
                // PosixFilePermission has no set-id bits: writing the nine back clears them (openat O_NOFOLLOW, fchmod)
                Set<PosixFilePermission> perms = attrs.permissions().isEmpty()
                        ? EnumSet.noneOf(PosixFilePermission.class) : EnumSet.copyOf(attrs.permissions());
                view.setPermissions(perms);
                LOG.log(System.Logger.Level.INFO, "cleared the set-id bits of {0}, which a sandbox left", entry);
            }
        }
    }

    /** java.nio has no set-id permission: read st_mode through the unix attribute view instead. */
    private static boolean hasSetId(Path entry) {
        try {
            int mode = (Integer) Files.getAttribute(entry, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            return (mode & 06000) != 0;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
