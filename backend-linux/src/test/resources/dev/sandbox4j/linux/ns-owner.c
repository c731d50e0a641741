/*
 * ns-owner FILE: the uids owning the user namespace FILE (/proc/PID/ns/user) and each of its ancestors below
 * ours, innermost first, one per line, by NS_GET_OWNER_UID and NS_GET_PARENT.
 */
#include <fcntl.h>
#include <linux/nsfs.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv) {
    struct stat self, st;
    if (argc != 2 || stat("/proc/self/ns/user", &self) < 0) return 2;
    int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        perror(argv[1]);
        return 1;
    }
    for (;;) {
        if (fstat(fd, &st) < 0) return 1;
        if (st.st_ino == self.st_ino && st.st_dev == self.st_dev) return 0;
        uid_t uid;
        if (ioctl(fd, NS_GET_OWNER_UID, &uid) < 0) {
            perror("NS_GET_OWNER_UID");
            return 1;
        }
        printf("%u\n", (unsigned) uid);
        int parent = ioctl(fd, NS_GET_PARENT);
        if (parent < 0) {
            perror("NS_GET_PARENT");
            return 1;
        }
        close(fd);
        fd = parent;
    }
}
