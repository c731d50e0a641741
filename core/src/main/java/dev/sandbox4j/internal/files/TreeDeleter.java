package dev.sandbox4j.internal.files;

import java.io.IOException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

/**
 * Deletes a tree through open directories (unlinkat), never following a symlink: a symlink is removed
 * itself. Sandboxed code can nest directories thousands deep; each level would hold one open
 * descriptor and one stack frame, so a subtree deeper than {@link #MAX_DEPTH} is first moved (renameat)
 * to the workspace root under a staging name and deleted from there. Not thread-safe: one per call.
 */
final class TreeDeleter {
    static final int MAX_DEPTH = 64;
    private static final Set<PosixFilePermission> OWNER_ALL = EnumSet.of(PosixFilePermission.OWNER_READ,
            PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE);

    private final SecureTree tree;
    private final Deque<String> parked = new ArrayDeque<>();

    TreeDeleter(SecureTree tree) {
        this.tree = tree;
    }

    void delete(SecureDirectoryStream<Path> dir, String name) throws IOException {
        deleteAt(dir, name, 0);
        while (!parked.isEmpty()) {
            String stage = parked.pop();
            try (SecureDirectoryStream<Path> rootDir = tree.openRoot()) {
                deleteAt(rootDir, stage, 0);
            }
        }
    }

    private void deleteAt(SecureDirectoryStream<Path> dir, String name, int depth) throws IOException {
        Optional<PosixFileAttributes> a = tree.attrs(dir, name);
        if (a.isEmpty()) {
            return;
        }
        if (!a.get().isDirectory()) {
            try {
                dir.deleteFile(tree.p(name));
            } catch (NoSuchFileException e) {
                // gone meanwhile: what we wanted
            }
            return;
        }
        if (depth >= MAX_DEPTH) {
            // moving a directory to another parent rewrites its "..": the kernel wants write access to it too,
            // which an unprivileged owner of a read-only directory must first give itself
            try (SecureDirectoryStream<Path> moving = dir.newDirectoryStream(tree.p(name), LinkOption.NOFOLLOW_LINKS)) {
                ownerMayDelete(moving);
            }
            String stage = tree.stagingName();
            try (SecureDirectoryStream<Path> rootDir = tree.openRoot()) {
                dir.move(tree.p(name), rootDir, tree.p(stage));
            }
            parked.push(stage);
            return;
        }
        try (SecureDirectoryStream<Path> child = dir.newDirectoryStream(tree.p(name), LinkOption.NOFOLLOW_LINKS)) {
            ownerMayDelete(child);
            for (String n : tree.names(child)) {
                deleteAt(child, n, depth + 1);
            }
        }
        try {
            dir.deleteDirectory(tree.p(name));
        } catch (NoSuchFileException e) {
            // gone meanwhile
        }
    }

    /** A directory made read-only inside the sandbox still has to be emptied (fchmod on the open fd). */
    private static void ownerMayDelete(SecureDirectoryStream<Path> dir) {
        try {
            PosixFileAttributeView v = dir.getFileAttributeView(PosixFileAttributeView.class);
            Set<PosixFilePermission> perms = v.readAttributes().permissions();
            if (!perms.containsAll(OWNER_ALL)) {
                Set<PosixFilePermission> more = EnumSet.copyOf(OWNER_ALL);
                more.addAll(perms);
                v.setPermissions(more);
            }
        } catch (IOException | RuntimeException e) {
            // not ours (we run as another user): the delete reports what it cannot remove
        }
    }
}
