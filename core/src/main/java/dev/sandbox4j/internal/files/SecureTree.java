package dev.sandbox4j.internal.files;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserPrincipal;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Race-free access below one trusted host directory, the workspace root, which sandboxed code may be
 * changing at the same time. Every step goes through a {@link SecureDirectoryStream} (openat, fstatat,
 * renameat, unlinkat relative to an open directory) with {@link LinkOption#NOFOLLOW_LINKS}, so swapping
 * a checked directory for a symlink makes the operation fail instead of leaving the workspace.
 *
 * <p>SecureDirectoryStream has no mkdirat or symlinkat: a new directory or symlink is made under a
 * random name directly in the root (a path of one component below a trusted directory: mkdir and
 * symlink never follow their last component) and then moved into place with renameat between open
 * directories. Were the sandbox to swap the staged entry, what lands in place is its own object, which
 * we then refuse to follow.
 *
 * <p>With an owner, every entry it makes is handed to that user and group before it is moved into place
 * (fchown of the opened directory, lchown of the staged link or file relative to an open directory), for a
 * sandbox that reaches the workspace as host ids of its own rather than through an idmap. Thread-safe: no
 * state but the root and the owner.
 */
final class SecureTree {
    /** Who owns what the tree makes. */
    record Owner(UserPrincipal user, GroupPrincipal group) {
    }

    static final String STAGING_PREFIX = ".sandbox4j-staging-";
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;

    private final Path root;
    private final Optional<Owner> owner;

    SecureTree(Path root) {
        this(root, Optional.empty());
    }

    SecureTree(Path root, Optional<Owner> owner) {
        this.root = root;
        this.owner = owner;
    }

    /** Hands a new entry to the owner, if there is one. */
    private void own(PosixFileAttributeView view) throws IOException {
        if (owner.isPresent()) {
            view.setOwner(owner.get().user());
            view.setGroup(owner.get().group());
        }
    }

    Path root() {
        return root;
    }

    Path p(String name) {
        return root.getFileSystem().getPath(name);
    }

    SecureDirectoryStream<Path> openRoot() throws IOException {
        DirectoryStream<Path> ds = Files.newDirectoryStream(root);
        if (ds instanceof SecureDirectoryStream<Path> sds) {
            return sds;
        }
        ds.close();
        throw new FileSystemException(root.toString(), null, "this platform offers no SecureDirectoryStream "
                + "(openat); the files API refuses to work without it. Use a backend with its own files API");
    }

    /** Opens the directory at {@code segs}, making missing ones when {@code create}. The caller closes it. */
    SecureDirectoryStream<Path> openDir(List<String> segs, boolean create) throws IOException {
        SecureDirectoryStream<Path> cur = openRoot();
        try {
            for (int i = 0; i < segs.size(); i++) {
                String name = segs.get(i);
                String where = String.join("/", segs.subList(0, i + 1));
                Optional<PosixFileAttributes> a = attrs(cur, name);
                if (a.isEmpty() && create) {
                    makeDir(cur, name, 0755);
                    a = attrs(cur, name);
                }
                if (a.isEmpty()) {
                    throw new NoSuchFileException(where);
                }
                if (a.get().isSymbolicLink()) {
                    throw new SymlinkRefusedException(where);
                }
                if (!a.get().isDirectory()) {
                    throw new NotDirectoryException(where);
                }
                SecureDirectoryStream<Path> next = cur.newDirectoryStream(p(name), NOFOLLOW);
                cur.close();
                cur = next;
            }
            return cur;
        } catch (IOException | RuntimeException e) {
            closeQuietly(cur);
            throw e;
        }
    }

    /** The entry's attributes, never following a symlink; empty when it does not exist. */
    Optional<PosixFileAttributes> attrs(SecureDirectoryStream<Path> dir, String name) throws IOException {
        try {
            return Optional.of(dir.getFileAttributeView(p(name), PosixFileAttributeView.class, NOFOLLOW).readAttributes());
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    /** The names in a directory (never "." or ".."). */
    List<String> names(SecureDirectoryStream<Path> dir) {
        List<String> names = new ArrayList<>();
        for (Path e : dir) {
            names.add(e.getFileName().toString());
        }
        return names;
    }

    /** Makes the directory {@code name} in {@code dir}; an entry that appears there meanwhile is left as it is. */
    void makeDir(SecureDirectoryStream<Path> dir, String name, int mode) throws IOException {
        String stage = stagingName();
        Files.createDirectory(root.resolve(stage));
        try (SecureDirectoryStream<Path> rootDir = openRoot()) {
            try {
                try (SecureDirectoryStream<Path> staged = rootDir.newDirectoryStream(p(stage), NOFOLLOW)) {
                    // the umask must not decide the mode; fchmod on the directory we opened without following
                    PosixFileAttributeView view = staged.getFileAttributeView(PosixFileAttributeView.class);
                    view.setPermissions(perms(mode));
                    own(view);
                }
                rootDir.move(p(stage), dir, p(name));
            } catch (IOException e) {
                deleteQuietly(rootDir, stage);
                if (attrs(dir, name).isEmpty()) {
                    throw e;
                }
            }
        }
    }

    /** Makes (or replaces a file or symlink with) the symlink {@code name -> target} in {@code dir}. */
    void makeSymlink(SecureDirectoryStream<Path> dir, String name, String target) throws IOException {
        Optional<PosixFileAttributes> existing = attrs(dir, name);
        if (existing.isPresent() && existing.get().isDirectory()) {
            throw new FileSystemException(name, null, "a directory is in the way of a symlink");
        }
        String stage = stagingName();
        Files.createSymbolicLink(root.resolve(stage), root.getFileSystem().getPath(target));
        try (SecureDirectoryStream<Path> rootDir = openRoot()) {
            try {
                // lchown: a directory stream's view opens the entry, which a link refuses; the staged name is one
                // component below the trusted root, so the path cannot lead elsewhere
                own(Files.getFileAttributeView(root.resolve(stage), PosixFileAttributeView.class, NOFOLLOW));
                rootDir.move(p(stage), dir, p(name));
            } catch (IOException e) {
                deleteQuietly(rootDir, stage);
                throw e;
            }
        }
    }

    /**
     * Writes {@code data} as the file {@code name} of {@code dir}: into a fresh file that is then renamed
     * over the old one, so a symlink or hard link put there is replaced, never written through.
     *
     * @param mode permission bits (0777 mask); empty: the old file's, or 0644 for a new file
     */
    void writeFile(SecureDirectoryStream<Path> dir, String name, InputStream data, Optional<Integer> mode)
            throws IOException {
        Optional<PosixFileAttributes> existing = attrs(dir, name);
        if (existing.isPresent() && existing.get().isSymbolicLink()) {
            throw new SymlinkRefusedException(name);
        }
        if (existing.isPresent() && existing.get().isDirectory()) {
            throw new FileSystemException(name, null, "is a directory");
        }
        Set<PosixFilePermission> perms = mode.map(SecureTree::perms)
                .orElse(existing.filter(PosixFileAttributes::isRegularFile).map(PosixFileAttributes::permissions)
                        .orElse(perms(0644)));
        String tmp = stagingName();
        Set<OpenOption> opts = Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, NOFOLLOW);
        try {
            try (SeekableByteChannel ch = dir.newByteChannel(p(tmp), opts)) {
                byte[] buf = new byte[64 * 1024];
                for (int n; (n = data.read(buf)) > 0; ) {
                    ByteBuffer bb = ByteBuffer.wrap(buf, 0, n);
                    while (bb.hasRemaining()) {
                        ch.write(bb);
                    }
                }
            }
            PosixFileAttributeView view = dir.getFileAttributeView(p(tmp), PosixFileAttributeView.class, NOFOLLOW);
            view.setPermissions(perms);
            own(view);
            if (existing.isPresent() && existing.get().isRegularFile()) {
                try {
                    // keep the file the sandbox's (the sandbox's user may need to change it)
                    view.setOwner(existing.get().owner());
                    view.setGroup(existing.get().group());
                } catch (IOException | UnsupportedOperationException e) {
                    // not root: the new file is ours, as any file we write
                }
            }
            dir.move(p(tmp), dir, p(name));
        } catch (IOException | RuntimeException e) {
            deleteQuietly(dir, tmp);
            throw e;
        }
    }

    /** Opens a regular file for reading without following a symlink; refuses anything else. */
    SeekableByteChannel openFile(SecureDirectoryStream<Path> dir, String name, String where) throws IOException {
        Optional<PosixFileAttributes> a = attrs(dir, name);
        if (a.isEmpty()) {
            throw new NoSuchFileException(where);
        }
        if (a.get().isSymbolicLink()) {
            throw new SymlinkRefusedException(where);
        }
        if (!a.get().isRegularFile()) {
            throw new FileSystemException(where, null, a.get().isDirectory() ? "is a directory"
                    : "is not a regular file (a fifo, socket or device); refused");
        }
        // a fifo swapped in between the check and this open would block it: a documented residual risk
        return dir.newByteChannel(p(name), Set.of(StandardOpenOption.READ, NOFOLLOW));
    }

    /** Deletes {@code name} in {@code dir}: a file or symlink itself, a directory with all it holds. */
    void delete(SecureDirectoryStream<Path> dir, String name) throws IOException {
        new TreeDeleter(this).delete(dir, name);
    }

    static Set<PosixFilePermission> perms(int mode) {
        Set<PosixFilePermission> s = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] bits = {PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE,
            PosixFilePermission.GROUP_READ, PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE,
            PosixFilePermission.OWNER_READ};
        for (int i = 0; i < bits.length; i++) {
            if ((mode & (1 << i)) != 0) {
                s.add(bits[i]);
            }
        }
        return s;
    }

    static int mode(Set<PosixFilePermission> perms) {
        int m = 0;
        for (PosixFilePermission p : perms) {
            m |= 1 << (8 - p.ordinal());
        }
        return m;
    }

    String stagingName() {
        byte[] r = new byte[8];
        RANDOM.nextBytes(r);
        return STAGING_PREFIX + HexFormat.of().formatHex(r);
    }

    void deleteQuietly(SecureDirectoryStream<Path> dir, String name) {
        try {
            delete(dir, name);
        } catch (IOException | RuntimeException e) {
            // best effort: the caller reports the first failure
        }
    }

    static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            // closing a directory stream fails only when it is already closed
        }
    }
}
