package dev.sandbox4j.internal.host;

import com.sun.jna.Memory;
import dev.sandbox4j.SandboxStartException;

/**
 * One statx(2) result, read from {@code struct statx}, whose layout is the same on every architecture
 * (linux/stat.h). {@link #device()} is st_dev as stat(2) and Java's {@code unix:dev} report it (glibc's
 * makedev encoding of the major and minor numbers).
 */
record Statx(int mode, int uid, int gid, long inode, long device) {
    static final int S_IFMT = 0170000;
    static final int S_IFDIR = 0040000;
    static final int S_IFREG = 0100000;
    static final int S_IFLNK = 0120000;
    private static final int SIZE = 256;
    private static final int MASK = LibC.STATX_TYPE | LibC.STATX_MODE | LibC.STATX_UID | LibC.STATX_GID | LibC.STATX_INO;

    /**
     * statx of {@code name} relative to {@code dirfd} ("" with AT_EMPTY_PATH: dirfd itself).
     *
     * @return the result, or empty on an error whose errno is then in {@link Errno#last()}
     */
    static java.util.Optional<Statx> at(int dirfd, String name, int flags) {
        try (Memory buf = new Memory(SIZE)) {
            buf.clear();
            if (LibC.INSTANCE.statx(dirfd, name, flags, MASK, buf) != 0) {
                return java.util.Optional.empty();
            }
            int mode = buf.getShort(28) & 0xffff;
            int uid = buf.getInt(20);
            int gid = buf.getInt(24);
            long ino = buf.getLong(32);
            long major = buf.getInt(136) & 0xffffffffL;
            long minor = buf.getInt(140) & 0xffffffffL;
            return java.util.Optional.of(new Statx(mode, uid, gid, ino, makedev(major, minor)));
        }
    }

    /** statx of an open descriptor; throws naming {@code what} when it fails. */
    static Statx of(int fd, String what) {
        return at(fd, "", LibC.AT_EMPTY_PATH).orElseThrow(() -> new SandboxStartException("statx of " + what
                + " failed: " + Errno.last()));
    }

    /** glibc's gnu_dev_makedev. */
    static long makedev(long major, long minor) {
        return ((major & 0xfffff000L) << 32) | ((major & 0xfffL) << 8) | ((minor & 0xffffff00L) << 12) | (minor & 0xffL);
    }

    boolean directory() {
        return (mode & S_IFMT) == S_IFDIR;
    }

    boolean regular() {
        return (mode & S_IFMT) == S_IFREG;
    }

    boolean symlink() {
        return (mode & S_IFMT) == S_IFLNK;
    }
}
