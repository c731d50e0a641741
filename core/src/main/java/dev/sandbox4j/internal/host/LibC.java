package dev.sandbox4j.internal.host;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

/**
 * The libc calls the core's host layer makes, C names verbatim (fcntl.h, sys/stat.h, sys/mount.h,
 * dirent.h, unistd.h, sys/mman.h). Each caller checks the return code and names {@link Errno} from
 * {@link Native#getLastError()}; JNA saves errno per thread after every call.
 */
public interface LibC extends Library {
    /** Loaded on first use; a {@link LinkageError} here means JNA cannot load libc at all. */
    LibC INSTANCE = Native.load("c", LibC.class);

    int AT_FDCWD = -100;
    int AT_SYMLINK_NOFOLLOW = 0x100;
    int AT_EMPTY_PATH = 0x1000;
    int O_RDONLY = 0;
    int O_DIRECTORY = 0200000;
    int O_NOFOLLOW = 0400000;
    int O_CLOEXEC = 02000000;
    int O_PATH = 010000000;
    int MFD_CLOEXEC = 0x0001;

    /** openat2's resolve flags (linux/openat2.h). */
    long RESOLVE_NO_MAGICLINKS = 0x02;
    long RESOLVE_NO_SYMLINKS = 0x04;
    /** The system-call number of openat2, the same on every architecture (new calls share one table). */
    long SYS_openat2 = 437;

    long MS_RDONLY = 1;
    long MS_NOSUID = 2;
    long MS_NODEV = 4;
    long MS_REMOUNT = 32;
    long MS_BIND = 4096;
    long MS_REC = 16384;
    long MS_PRIVATE = 1 << 18;
    int MNT_DETACH = 2;

    /** statx's mask bits. */
    int STATX_TYPE = 0x1;
    int STATX_MODE = 0x2;
    int STATX_UID = 0x8;
    int STATX_GID = 0x10;
    int STATX_INO = 0x100;

    /** Variadic: the number, then the call's own arguments. */
    long syscall(long number, Object... args);

    int openat(int dirfd, String path, int flags, int mode);

    int close(int fd);

    int dup(int fd);

    int statx(int dirfd, String path, int flags, int mask, Pointer statxbuf);

    int chmod(String path, int mode);

    /** struct statfs is 64-bit words on every 64-bit architecture: f_bsize at 8, f_bavail at 32, f_ffree at 48. */
    int statfs(String path, Pointer buf);

    int fchownat(int dirfd, String path, int owner, int group, int flags);

    int mount(String source, String target, String fstype, long flags, String data);

    int umount2(String target, int flags);

    Pointer fdopendir(int fd);

    Pointer readdir(Pointer dir);

    int closedir(Pointer dir);

    int memfd_create(String name, int flags);

    String strerror(int errnum);
}
