/*
 * The tests' system-call probe: makes each call of sandbox4j's syscall table through the x86_64 ABI
 * (syscall) and, on x86_64, through the i386 ABI (int 0x80 from this 64-bit process), and prints one
 * line per call: "<abi> <case> ok" or "<abi> <case> <ERRNO NAME>" (or "signal N" when the call killed
 * its child). Every case runs in a child of its own, so a call that kills its caller ends only that case.
 * Static and non-PIE: every pointer handed to int 0x80 lies below 4 GiB.
 * Usage: syscall-probe DIR (a writable directory, for the files the cases make)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x80
#endif

static char dir[256];
static char path[512];
static char path2[512];
static long params[32]; /* io_uring_params (120 bytes), clone_args (88 bytes) */

struct call {
    const char *name;
    long nr64, nr32;
    int prep;   /* 0: none, 1: an existing file at path, 2: no file at path */
    long a[6];  /* -1: path, -2: path2, -3: params, -4: an open fd of path */
};

#define PATH (-1)
#define PATH2 (-2)
#define PARAMS (-3)
#define FD (-4)

static const struct call calls[] = {
    {"clone-newuser", SYS_clone, 120, 0, {CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0, 0}},
    {"clone-newnet", SYS_clone, 120, 0, {CLONE_NEWNET | SIGCHLD, 0, 0, 0, 0, 0}},
    {"clone-newns", SYS_clone, 120, 0, {CLONE_NEWNS | SIGCHLD, 0, 0, 0, 0, 0}},
    {"clone-newtime", SYS_clone, 120, 0, {CLONE_NEWTIME | SIGCHLD, 0, 0, 0, 0, 0}},
    {"clone-plain", SYS_clone, 120, 0, {SIGCHLD, 0, 0, 0, 0, 0}},
    {"clone3", 435, 435, 0, {PARAMS, 88, 0, 0, 0, 0}},
    {"unshare-newuser", SYS_unshare, 310, 0, {CLONE_NEWUSER, 0, 0, 0, 0, 0}},
    {"io_uring_setup", 425, 425, 0, {1, PARAMS, 0, 0, 0, 0}},
    {"chmod-4755", SYS_chmod, 15, 1, {PATH, 04755, 0, 0, 0, 0}},
    {"chmod-2755", SYS_chmod, 15, 1, {PATH, 02755, 0, 0, 0, 0}},
    {"chmod-755", SYS_chmod, 15, 1, {PATH, 0755, 0, 0, 0, 0}},
    {"fchmod-4755", SYS_fchmod, 94, 1, {FD, 04755, 0, 0, 0, 0}},
    {"fchmodat-4755", SYS_fchmodat, 306, 1, {AT_FDCWD, PATH, 04755, 0, 0, 0}},
    {"fchmodat-2755", SYS_fchmodat, 306, 1, {AT_FDCWD, PATH, 02755, 0, 0, 0}},
    {"fchmodat-755", SYS_fchmodat, 306, 1, {AT_FDCWD, PATH, 0755, 0, 0, 0}},
    {"open-creat-4755", SYS_open, 5, 2, {PATH, O_CREAT | O_WRONLY, 04755, 0, 0, 0}},
    {"open-creat-644", SYS_open, 5, 2, {PATH, O_CREAT | O_WRONLY, 0644, 0, 0, 0}},
    {"openat-creat-2755", SYS_openat, 295, 2, {AT_FDCWD, PATH, O_CREAT | O_WRONLY, 02755, 0, 0}},
    {"creat-4755", SYS_creat, 8, 2, {PATH, 04755, 0, 0, 0, 0}},
    {"mknod-4755", SYS_mknod, 14, 2, {PATH, S_IFREG | 04755, 0, 0, 0, 0}},
    {"mknodat-2755", SYS_mknodat, 297, 2, {AT_FDCWD, PATH, S_IFREG | 02755, 0, 0, 0}},
    {"openat2", 437, 437, 2, {AT_FDCWD, PATH, PARAMS, 24, 0, 0}},
    {"socket-vsock", SYS_socket, 359, 0, {40 /* AF_VSOCK */, SOCK_STREAM, 0, 0, 0, 0}},
    {"socket-unix", SYS_socket, 359, 0, {AF_UNIX, SOCK_STREAM, 0, 0, 0, 0}},
    /* the family with bits above 32 set: the kernel takes an int, so a filter must compare 32 bits */
    {"socket-vsock-high", SYS_socket, 359, 0, {0x100000000L | 40, SOCK_STREAM, 0, 0, 0, 0}},
    /* i386 only: socket(2) through socketcall(SYS_SOCKET, args in memory) */
    {"socketcall-vsock", -1, 102, 0, {1 /* SYS_SOCKET */, PARAMS, 0, 0, 0, 0}},
    {"socketcall-unix", -1, 102, 0, {1 /* SYS_SOCKET */, PARAMS, 0, 0, 0, 0}},
};

static long arg(long v, int fd) {
    switch (v) {
        case PATH: return (long) path;
        case PATH2: return (long) path2;
        case PARAMS: return (long) params;
        case FD: return fd;
        default: return v;
    }
}

#if defined(__x86_64__)
static long int80(long nr, long a, long b, long c, long d, long e, long f) {
    long ret;
    register long r8 __asm__("r8") = 0;
    (void) r8;
    __asm__ volatile("push %%rbp\n\tmov %7, %%rbp\n\tint $0x80\n\tpop %%rbp"
                     : "=a"(ret)
                     : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d), "D"(e), "g"(f)
                     : "memory", "r8", "r9", "r10", "r11");
    return ret;
}
#endif

/* Runs one case in a child; prints its line. */
static void run(const struct call *c, int i386) {
    if ((i386 ? c->nr32 : c->nr64) < 0) {
        return; /* no such call on this ABI */
    }
    pid_t pid = fork();
    if (pid < 0) {
        printf("%s %s fork-failed-%d\n", i386 ? "i386" : "x86_64", c->name, errno);
        return;
    }
    if (pid == 0) {
        int fd = -1;
        unlink(path);
        if (c->prep == 1) {
            fd = open(path, O_CREAT | O_RDWR, 0644);
        }
        memset(params, 0, sizeof params);
        if (strcmp(c->name, "clone3") == 0) {
            params[4] = SIGCHLD; /* clone_args.exit_signal */
        }
        if (strcmp(c->name, "socketcall-vsock") == 0 || strcmp(c->name, "socketcall-unix") == 0) {
            unsigned int *a = (unsigned int *) params; /* the i386 socketcall's argument array: three 32-bit ints */
            a[0] = c->name[11] == 'v' ? 40 : AF_UNIX;
            a[1] = SOCK_STREAM;
            a[2] = 0;
        }
        if (strcmp(c->name, "openat2") == 0) {
            params[0] = O_CREAT | O_WRONLY; /* open_how.flags */
            params[1] = 0644;
        }
        long r;
        int err;
        if (i386) {
#if defined(__x86_64__)
            r = int80(c->nr32, arg(c->a[0], fd), arg(c->a[1], fd), arg(c->a[2], fd), arg(c->a[3], fd), arg(c->a[4], fd),
                      arg(c->a[5], fd));
            err = r < 0 && r > -4096 ? (int) -r : 0;
            if (err) {
                r = -1;
            }
#else
            _exit(99);
#endif
        } else {
            r = syscall(c->nr64, arg(c->a[0], fd), arg(c->a[1], fd), arg(c->a[2], fd), arg(c->a[3], fd), arg(c->a[4], fd),
                        arg(c->a[5], fd));
            err = r < 0 ? errno : 0;
        }
        if (r == 0 && (strncmp(c->name, "clone", 5) == 0)) {
            _exit(0); /* the child of a clone that worked */
        }
        if (r > 0 && strncmp(c->name, "clone", 5) == 0) {
            waitpid((pid_t) r, NULL, 0);
        }
        struct stat st;
        int setid = stat(path, &st) == 0 && (st.st_mode & (S_ISUID | S_ISGID)) != 0;
        unlink(path);
        if (err) {
            printf("%s %s %s\n", i386 ? "i386" : "x86_64", c->name, strerrorname_np(err));
        } else {
            printf("%s %s ok%s\n", i386 ? "i386" : "x86_64", c->name, setid ? " SETID-FILE" : "");
        }
        fflush(stdout);
        _exit(0);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFSIGNALED(status)) {
        printf("%s %s signal %d\n", i386 ? "i386" : "x86_64", c->name, WTERMSIG(status));
        fflush(stdout);
    }
}

int main(int argc, char **argv) {
    if (argc < 2 || strlen(argv[1]) > 200) {
        fprintf(stderr, "usage: syscall-probe DIR\n");
        return 2;
    }
    snprintf(dir, sizeof dir, "%s", argv[1]);
    snprintf(path, sizeof path, "%s/probe-file", dir);
    snprintf(path2, sizeof path2, "%s/probe-file2", dir);
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
        run(&calls[i], 0);
    }
#if defined(__x86_64__)
    if (argc < 3 || strcmp(argv[2], "--no-i386") != 0) {
        for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
            run(&calls[i], 1);
        }
    }
#endif
    printf("done\n");
    return 0;
}
