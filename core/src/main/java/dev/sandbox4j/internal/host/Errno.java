package dev.sandbox4j.internal.host;

import com.sun.jna.Native;
import java.util.Map;

/** errno values by name (Linux, asm-generic), for messages such as {@code "memfd_create failed: EMFILE (Too many open files)"}. */
public final class Errno {
    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int ESRCH = 3;
    public static final int EINTR = 4;
    public static final int EBADF = 9;
    public static final int EAGAIN = 11;
    public static final int ENOMEM = 12;
    public static final int EACCES = 13;
    public static final int EFAULT = 14;
    public static final int EBUSY = 16;
    public static final int EEXIST = 17;
    public static final int ENOTDIR = 20;
    public static final int EINVAL = 22;
    public static final int EMFILE = 24;
    public static final int EFBIG = 27;
    public static final int EROFS = 30;
    public static final int EDOM = 33;
    public static final int ENOSYS = 38;
    public static final int EOPNOTSUPP = 95;
    public static final int ELOOP = 40;
    public static final int EXDEV = 18;
    public static final int ENOSPC = 28;
    public static final int ECANCELED = 125;

    private static final Map<Integer, String> NAMES = Map.ofEntries(
            Map.entry(EPERM, "EPERM"), Map.entry(ENOENT, "ENOENT"), Map.entry(ESRCH, "ESRCH"),
            Map.entry(EINTR, "EINTR"), Map.entry(5, "EIO"), Map.entry(7, "E2BIG"), Map.entry(8, "ENOEXEC"),
            Map.entry(EBADF, "EBADF"), Map.entry(10, "ECHILD"), Map.entry(EAGAIN, "EAGAIN"),
            Map.entry(ENOMEM, "ENOMEM"), Map.entry(EACCES, "EACCES"), Map.entry(EFAULT, "EFAULT"),
            Map.entry(EBUSY, "EBUSY"), Map.entry(EEXIST, "EEXIST"), Map.entry(EXDEV, "EXDEV"),
            Map.entry(19, "ENODEV"), Map.entry(ENOTDIR, "ENOTDIR"), Map.entry(21, "EISDIR"),
            Map.entry(EINVAL, "EINVAL"), Map.entry(23, "ENFILE"), Map.entry(EMFILE, "EMFILE"),
            Map.entry(26, "ETXTBSY"), Map.entry(EFBIG, "EFBIG"), Map.entry(ENOSPC, "ENOSPC"),
            Map.entry(EROFS, "EROFS"), Map.entry(EDOM, "EDOM"), Map.entry(34, "ERANGE"),
            Map.entry(ENOSYS, "ENOSYS"), Map.entry(ELOOP, "ELOOP"), Map.entry(EOPNOTSUPP, "EOPNOTSUPP"), Map.entry(ECANCELED, "ECANCELED"));

    private Errno() {
    }

    /** {@code "EINVAL (Invalid argument)"}; the number when the name is not in the table. */
    public static String describe(int errno) {
        int e = Math.abs(errno);
        String name = NAMES.getOrDefault(e, "errno " + e);
        String text;
        try {
            text = LibC.INSTANCE.strerror(e);
        } catch (RuntimeException | LinkageError ignored) {
            text = null;
        }
        return text == null ? name : name + " (" + text + ")";
    }

    /** {@link #describe} of the calling thread's errno after the last JNA call. */
    public static String last() {
        return describe(Native.getLastError());
    }
}
