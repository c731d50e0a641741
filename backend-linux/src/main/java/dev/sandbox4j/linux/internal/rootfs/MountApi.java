package dev.sandbox4j.linux.internal.rootfs;

import com.sun.jna.Library;
import com.sun.jna.Native;

/**
 * The mount-API calls (linux/mount.h, Linux 5.12+) that {@link IdmappedMount} needs, C names verbatim.
 * {@code open_tree} and {@code mount_setattr} have libc wrappers only since glibc 2.36, so they go through
 * {@code syscall(2)}; their numbers are the same on every architecture (they were added after the
 * syscall tables were unified in Linux 5.1). Each caller checks the return code and names the errno.
 */
interface MountApi extends Library {
    /** Loaded on first use; a {@link LinkageError} here means JNA cannot load libc. */
    MountApi INSTANCE = Native.load("c", MountApi.class);

    long SYS_open_tree = 428;
    long SYS_mount_setattr = 442;

    int AT_FDCWD = -100;
    int AT_EMPTY_PATH = 0x1000;
    int O_RDONLY = 0;
    int O_CLOEXEC = 0x80000;
    int OPEN_TREE_CLONE = 1;
    int OPEN_TREE_CLOEXEC = O_CLOEXEC;

    long MOUNT_ATTR_NOSUID = 0x2;
    long MOUNT_ATTR_NODEV = 0x4;
    long MOUNT_ATTR_IDMAP = 0x00100000;

    /** sizeof(struct mount_attr): attr_set, attr_clr, propagation, userns_fd, each a __u64. */
    int MOUNT_ATTR_SIZE = 32;

    long syscall(long number, Object... args);

    int open(String pathname, int flags);

    int close(int fd);
}
