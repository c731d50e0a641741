package dev.sandbox4j.internal.host;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import dev.sandbox4j.InvalidInputException;
import dev.sandbox4j.SandboxStartException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Resolves host paths the way sandbox4j's security model demands: once, without following any symbolic
 * link (openat2 with RESOLVE_NO_SYMLINKS and RESOLVE_NO_MAGICLINKS; on kernels without openat2, an
 * O_PATH|O_NOFOLLOW walk that checks every component), into an O_PATH descriptor held by this JVM.
 * Stateless and thread-safe.
 */
public final class Pins {
    private static final int OPEN_HOW_SIZE = 24;
    /** openat2's RESOLVE_BENEATH: no step above the starting directory. */
    private static final long RESOLVE_BENEATH = 0x08;

    private Pins() {
    }

    /** A pin with no engine staging (unprivileged, or for a backend's own use). */
    public static PinnedPathImpl pin(Path path, String what) {
        return pin(path, what, Optional.empty(), false);
    }

    /**
     * @param staging        where {@link PinnedPathImpl#engineSource} binds it (root JVMs)
     * @param insideWritable whether it lies inside another writable mount of the same sandbox
     * @throws InvalidInputException for a missing path or one with a symbolic link in it, naming the fix
     */
    public static PinnedPathImpl pin(Path path, String what, Optional<Staging> staging, boolean insideWritable) {
        if (!path.isAbsolute()) {
            throw new InvalidInputException(what + ": '" + path + "' is relative; give an absolute path");
        }
        Path normal = path.normalize();
        int fd = open(normal, what);
        try {
            Statx st = Statx.of(fd, what + " " + normal);
            return new PinnedPathImpl(normal, fd, st.device(), st.inode(), st.directory(), st.uid(), st.gid(),
                    staging, insideWritable, java.util.OptionalLong.empty());
        } catch (RuntimeException e) {
            LibC.INSTANCE.close(fd);
            throw e;
        }
    }

    /**
     * Pins {@code inner} (an absolute path in the mount namespace of the storage holder {@code holder}) through
     * the holder's {@code /proc/<pid>/root}: the magic link of our own holder is followed, nothing below it.
     * The pin's {@link PinnedPathImpl#path()} is {@code inner}; an engine cannot reach it.
     */
    static PinnedPathImpl pinInHolder(StorageHolder holder, Path inner, String what) {
        int root = LibC.INSTANCE.openat(LibC.AT_FDCWD, "/proc/" + holder.pid() + "/root",
                LibC.O_PATH | LibC.O_DIRECTORY | LibC.O_CLOEXEC, 0);
        if (root < 0) {
            throw new SandboxStartException(what + ": opening the storage holder's root /proc/" + holder.pid()
                    + "/root failed: " + Errno.last());
        }
        int fd;
        try {
            fd = openat2(root, inner.toString().substring(1), 0);
        } finally {
            LibC.INSTANCE.close(root);
        }
        if (fd < 0) {
            throw failure(inner, what, -fd);
        }
        try {
            Statx st = Statx.of(fd, what + " " + inner);
            return new PinnedPathImpl(inner, fd, st.device(), st.inode(), st.directory(), st.uid(), st.gid(),
                    Optional.empty(), false, java.util.OptionalLong.of(holder.pid()));
        } catch (RuntimeException e) {
            LibC.INSTANCE.close(fd);
            throw e;
        }
    }

    /** The entry {@code name} of {@code parent}, resolved beneath its descriptor. */
    static PinnedPathImpl pinChild(PinnedPathImpl parent, String name, Optional<Staging> staging, boolean insideWritable,
                                   java.util.OptionalLong holderPid) {
        Path inner = parent.path().resolve(name);
        if (name.isEmpty() || name.contains("/") || name.equals(".") || name.equals("..") || name.indexOf('\0') >= 0) {
            throw new InvalidInputException("'" + name + "' is not one entry name of " + parent.path());
        }
        int fd = openat2(parent.fd(), name, RESOLVE_BENEATH);
        if (fd == -Errno.ENOSYS) {
            // without openat2: one plain name below a directory descriptor cannot leave it; only a link could
            fd = LibC.INSTANCE.openat(parent.fd(), name, LibC.O_PATH | LibC.O_NOFOLLOW | LibC.O_CLOEXEC, 0);
            fd = fd >= 0 ? fd : -Native.getLastError();
            if (fd >= 0 && Statx.at(fd, "", LibC.AT_EMPTY_PATH).map(Statx::symlink).orElse(true)) {
                LibC.INSTANCE.close(fd);
                fd = -Errno.ELOOP;
            }
        }
        if (fd < 0) {
            throw failure(inner, "entry of " + parent.path(), -fd);
        }
        try {
            Statx st = Statx.of(fd, inner.toString());
            return new PinnedPathImpl(inner, fd, st.device(), st.inode(), st.directory(), st.uid(), st.gid(), staging,
                    insideWritable, holderPid);
        } catch (RuntimeException e) {
            LibC.INSTANCE.close(fd);
            throw e;
        }
    }

    /** Whether {@code path} resolves now, without a symlink, to {@code dev}/{@code ino}. */
    static boolean resolvesTo(Path path, long dev, long ino) {
        int fd;
        try {
            fd = open(path, "check");
        } catch (RuntimeException e) {
            return false;
        }
        try {
            Optional<Statx> st = Statx.at(fd, "", LibC.AT_EMPTY_PATH);
            return st.isPresent() && st.get().device() == dev && st.get().inode() == ino;
        } finally {
            LibC.INSTANCE.close(fd);
        }
    }

    /** An O_PATH descriptor of {@code path}, which must contain no symbolic link. */
    static int open(Path path, String what) {
        int fd = openat2(LibC.AT_FDCWD, path.toString(), 0);
        if (fd >= 0) {
            return fd;
        }
        int err = -fd;
        if (err == Errno.ENOSYS) {
            return walk(path, what);
        }
        throw failure(path, what, err);
    }

    /** openat2(dirfd, path, {O_PATH|O_CLOEXEC, 0, NO_SYMLINKS|NO_MAGICLINKS|more}); a descriptor or -errno. */
    private static int openat2(int dirfd, String path, long more) {
        try (Memory how = new Memory(OPEN_HOW_SIZE)) {
            how.setLong(0, LibC.O_PATH | LibC.O_CLOEXEC);
            how.setLong(8, 0);
            how.setLong(16, LibC.RESOLVE_NO_SYMLINKS | LibC.RESOLVE_NO_MAGICLINKS | more);
            long r = LibC.INSTANCE.syscall(LibC.SYS_openat2, dirfd, path, how, (long) OPEN_HOW_SIZE);
            return r >= 0 ? (int) r : -Native.getLastError();
        }
    }

    /** The O_NOFOLLOW walk, component by component from /, refusing a symlink anywhere. */
    private static int walk(Path path, String what) {
        int dir = LibC.INSTANCE.openat(LibC.AT_FDCWD, "/", LibC.O_PATH | LibC.O_DIRECTORY | LibC.O_CLOEXEC, 0);
        if (dir < 0) {
            throw failure(path, what, Native.getLastError());
        }
        for (Path name : path) {
            int next = LibC.INSTANCE.openat(dir, name.toString(), LibC.O_PATH | LibC.O_NOFOLLOW | LibC.O_CLOEXEC, 0);
            int err = Native.getLastError();
            LibC.INSTANCE.close(dir);
            if (next < 0) {
                throw failure(path, what, err);
            }
            Optional<Statx> st = Statx.at(next, "", LibC.AT_EMPTY_PATH);
            if (st.isEmpty() || st.get().symlink()) {
                LibC.INSTANCE.close(next);
                throw failure(path, what, st.isEmpty() ? Native.getLastError() : Errno.ELOOP);
            }
            dir = next;
        }
        return dir;
    }

    private static RuntimeException failure(Path path, String what, int errno) {
        if (errno == Errno.ELOOP || errno == Errno.EXDEV) {
            return new InvalidInputException(what + ": '" + path + "' has a symbolic link in it" + linkHint(path)
                    + "; sandbox4j never follows a link in a host path it mounts or shares (a sandbox could"
                    + " redirect it), so give the real path" + realHint(path));
        }
        if (errno == Errno.ENOENT || errno == Errno.ENOTDIR) {
            return new InvalidInputException(what + ": '" + path + "' does not exist (" + Errno.describe(errno)
                    + "); create it or fix the path");
        }
        if (errno == Errno.EACCES || errno == Errno.EPERM) {
            return new InvalidInputException(what + ": '" + path + "' cannot be reached by this JVM ("
                    + Errno.describe(errno) + "); make every directory on the way searchable for its user");
        }
        return new SandboxStartException(what + ": resolving '" + path + "' without following links failed: "
                + Errno.describe(errno));
    }

    /** " (/a/b is a link to x)" for the first link component, or nothing. */
    private static String linkHint(Path path) {
        Path p = path.getRoot();
        for (Path name : path) {
            p = p.resolve(name);
            if (Files.isSymbolicLink(p)) {
                try {
                    return " (" + p + " is a link to " + Files.readSymbolicLink(p) + ")";
                } catch (IOException | UnsupportedOperationException e) {
                    return " (" + p + " is a link)";
                }
            }
            if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                return "";
            }
        }
        return "";
    }

    private static String realHint(Path path) {
        try {
            return " (" + path.toRealPath() + ")";
        } catch (IOException e) {
            return "";
        }
    }
}
