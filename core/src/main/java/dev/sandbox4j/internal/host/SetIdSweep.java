package dev.sandbox4j.internal.host;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The last line against set-id files: walks a directory tree that a sandbox could write and clears
 * S_ISUID and S_ISGID on every regular file that has one, and, when asked, gives files owned by the
 * sandbox's host ids back to the tree's owner. Race-free against a sandbox that still runs: the walk goes
 * through directory descriptors opened with O_NOFOLLOW, each file is changed through an O_PATH descriptor
 * whose type is checked again, so no link the sandbox plants can point the change elsewhere. Stateless.
 */
public final class SetIdSweep {
    private static final System.Logger LOG = System.getLogger(SetIdSweep.class.getName());
    private static final int MAX_DEPTH = 512;
    private static final int DT_DIR = 4;
    private static final int DT_REG = 8;
    private static final int DT_UNKNOWN = 0;

    /**
     * What one sweep did.
     *
     * @param stripped files whose set-id bits were cleared
     * @param chowned  entries given back to the owner
     * @param failed   entries that could not be changed (logged)
     */
    public record Result(int stripped, int chowned, int failed) {
    }

    private static final class Counts {
        int stripped;
        int chowned;
        int failed;
    }

    private SetIdSweep() {
    }

    /**
     * Sweeps the tree under {@code root}.
     *
     * @param fromUid when present, entries owned by this uid (or its equal gid) are given to {@code toUid}/{@code toGid}
     */
    public static Result sweep(PinnedPathImpl root, OptionalInt fromUid, int toUid, int toGid) {
        Counts c = new Counts();
        int fd = LibC.INSTANCE.openat(LibC.AT_FDCWD, root.selfPath(), LibC.O_RDONLY | LibC.O_DIRECTORY | LibC.O_CLOEXEC, 0);
        if (fd < 0) {
            LOG.log(System.Logger.Level.WARNING, "set-id sweep: cannot open {0}: {1}", root.path(), Errno.last());
            return new Result(0, 0, 1);
        }
        walk(fd, root.path().toString(), 0, fromUid, toUid, toGid, c);
        return new Result(c.stripped, c.chowned, c.failed);
    }

    /** Walks the directory {@code fd} (which it closes). */
    private static void walk(int fd, String shown, int depth, OptionalInt fromUid, int toUid, int toGid, Counts c) {
        Pointer dir = LibC.INSTANCE.fdopendir(fd);
        if (dir == null) {
            LOG.log(System.Logger.Level.WARNING, "set-id sweep: fdopendir {0}: {1}", shown, Errno.last());
            LibC.INSTANCE.close(fd);
            c.failed++;
            return;
        }
        try {
            for (Pointer e = LibC.INSTANCE.readdir(dir); e != null; e = LibC.INSTANCE.readdir(dir)) {
                int type = e.getByte(18) & 0xff;
                String name = e.getString(19);
                if (name.equals(".") || name.equals("..")) {
                    continue;
                }
                if (type != DT_DIR && type != DT_REG && type != DT_UNKNOWN && fromUid.isEmpty()) {
                    continue; // links, fifos, sockets, devices: nothing to strip
                }
                Optional<Statx> st = Statx.at(fd, name, LibC.AT_SYMLINK_NOFOLLOW);
                if (st.isEmpty()) {
                    continue; // removed meanwhile
                }
                if (fromUid.isPresent() && (st.get().uid() == fromUid.getAsInt() || st.get().gid() == fromUid.getAsInt())) {
                    if (LibC.INSTANCE.fchownat(fd, name, toUid, toGid, LibC.AT_SYMLINK_NOFOLLOW) == 0) {
                        c.chowned++;
                    } else {
                        c.failed++;
                        LOG.log(System.Logger.Level.WARNING, "set-id sweep: chown {0}/{1}: {2}", shown, name, Errno.last());
                    }
                }
                if (st.get().regular() && (st.get().mode() & 06000) != 0) {
                    strip(fd, name, shown, c);
                } else if (st.get().directory()) {
                    if (depth >= MAX_DEPTH) {
                        LOG.log(System.Logger.Level.WARNING, "set-id sweep: {0}/{1} is deeper than {2} levels; not entered",
                                shown, name, MAX_DEPTH);
                        c.failed++;
                        continue;
                    }
                    int child = LibC.INSTANCE.openat(fd, name,
                            LibC.O_RDONLY | LibC.O_DIRECTORY | LibC.O_NOFOLLOW | LibC.O_CLOEXEC, 0);
                    if (child >= 0) {
                        walk(child, shown + "/" + name, depth + 1, fromUid, toUid, toGid, c);
                    }
                }
            }
        } finally {
            LibC.INSTANCE.closedir(dir);
        }
    }

    private static void strip(int dirfd, String name, String shown, Counts c) {
        int f = LibC.INSTANCE.openat(dirfd, name, LibC.O_PATH | LibC.O_NOFOLLOW | LibC.O_CLOEXEC, 0);
        if (f < 0) {
            return;
        }
        try {
            Optional<Statx> st = Statx.at(f, "", LibC.AT_EMPTY_PATH);
            if (st.isEmpty() || !st.get().regular() || (st.get().mode() & 06000) == 0) {
                return;
            }
            // chmod through the descriptor's magic link acts on exactly that inode
            if (LibC.INSTANCE.chmod("/proc/self/fd/" + f, st.get().mode() & 01777) == 0) {
                c.stripped++;
                LOG.log(System.Logger.Level.INFO, "set-id sweep: cleared the set-id bits of {0}/{1} (mode 0{2})", shown,
                        name, Integer.toOctalString(st.get().mode() & 07777));
            } else {
                c.failed++;
                LOG.log(System.Logger.Level.WARNING, "set-id sweep: chmod {0}/{1}: {2}", shown, name,
                        Errno.describe(Native.getLastError()));
            }
        } finally {
            LibC.INSTANCE.close(f);
        }
    }
}
