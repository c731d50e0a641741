/*
 * attack-probe: the system calls the one syscall table answers, each through the x86_64 ABI and, where the
 * i386 ABI has it, through int 0x80 as well. Prints "NAME RESULT" per attempt: "ok" or strerror(errno).
 * Built static and non-PIE by the test (gcc -static -no-pie), so that int 0x80 can pass 32-bit pointers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void show(const char *what, long r) { printf("%s %s\n", what, r < 0 ? strerror(errno) : "ok"); fflush(stdout); }

#if defined(__x86_64__)
static long i386(long nr, long a, long b, long c) {
    long r;
    __asm__ volatile ("int $0x80" : "=a"(r) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
    return r;
}
static void show386(const char *what, long r) { printf("%s %s\n", what, r < 0 ? strerror((int) -r) : "ok"); fflush(stdout); }
#endif

int main(void) {
    static char f[] = "probe-f", g[] = "probe-g", n[] = "probe-n";
    close(open(f, O_CREAT | O_WRONLY, 0644));
    struct { unsigned long long flags, mode, resolve; } how = {O_CREAT | O_WRONLY, 04755, 0};
    show("chmod", syscall(SYS_chmod, f, 04755));
    show("chmod-g", syscall(SYS_chmod, f, 02755));
    show("fchmodat", syscall(SYS_fchmodat, AT_FDCWD, f, 06755));
    show("fchmodat2", syscall(452, AT_FDCWD, f, 04755, 0));
    int fd = open(f, O_RDONLY);
    show("fchmod", syscall(SYS_fchmod, fd, 04755));
    show("open-creat", syscall(SYS_open, g, O_CREAT | O_WRONLY, 04755));
    show("openat-creat", syscall(SYS_openat, AT_FDCWD, g, O_CREAT | O_WRONLY, 02755));
    show("creat", syscall(SYS_creat, g, 04755));
    show("openat2", syscall(437, AT_FDCWD, g, &how, sizeof how));
    show("mknodat", syscall(SYS_mknodat, AT_FDCWD, n, S_IFREG | 04755, 0));
    show("chmod-plain", syscall(SYS_chmod, f, 0755));
    static unsigned char params[120];
    show("io_uring_setup", syscall(425, 4, params));
    show("unshare-user", syscall(SYS_unshare, CLONE_NEWUSER));
    show("unshare-net", syscall(SYS_unshare, CLONE_NEWNET));
    long pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
    if (pid == 0) _exit(0);
    if (pid > 0) waitpid((pid_t) pid, NULL, 0);
    show("clone-newuser", pid);
    unsigned long long args[11] = {0};
    args[0] = CLONE_NEWUSER;
    args[4] = SIGCHLD;
    pid = syscall(435, args, sizeof args);
    if (pid == 0) _exit(0);
    if (pid > 0) waitpid((pid_t) pid, NULL, 0);
    show("clone3", pid);
    int s = (int) syscall(SYS_socket, 40 /* AF_VSOCK */, SOCK_STREAM, 0);
    show("socket-vsock", s);
    show("socket-unix", syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0));
#if defined(__x86_64__)
    show386("i386-chmod", i386(15, (long) f, 04755, 0));
    show386("i386-fchmodat", i386(306, AT_FDCWD, (long) f, 02755));
    show386("i386-creat", i386(8, (long) g, 04755, 0));
    show386("i386-unshare", i386(310, CLONE_NEWUSER, 0, 0));
    show386("i386-socket-vsock", i386(359, 40, SOCK_STREAM, 0));
    show386("i386-io_uring_setup", i386(425, 4, (long) params, 0));
#endif
    return 0;
}
