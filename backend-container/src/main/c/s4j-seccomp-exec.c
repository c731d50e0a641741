/*
 * s4j-seccomp-exec FILTER PROGRAM [ARG...]
 *
 * Installs the classic-BPF seccomp program in FILTER (an array of struct sock_filter, as libseccomp
 * exports it) on itself, with no_new_privs, then executes PROGRAM (a path) with ARGs and the same
 * environment: every process the program starts inherits the filter. sandbox4j runs every command of a
 * gVisor sandbox made through a container engine under it, because runsc applies the container's OCI
 * seccomp profile to the container's init only, not to the engine's exec'd processes.
 *
 * Freestanding (no C library): it runs in any image, busybox's included. On failure it writes one line
 * naming the step and the errno to stderr and exits 127.
 */

#include "s4j-freestanding.h"

#define PR_SET_NO_NEW_PRIVS 38
#define SECCOMP_SET_MODE_FILTER 1
#define MAX_BYTES (4096 * 8) /* BPF_MAXINSNS instructions of 8 bytes */

struct sock_fprog {
    unsigned short len;
    void *filter;
};

static unsigned char program[MAX_BYTES + 8];

static __attribute__((noreturn)) void fail(const char *step, long err) {
    char num[24];
    int i = sizeof num - 1;
    unsigned long e = (unsigned long) -err;
    num[i] = 0;
    do {
        num[--i] = (char) ('0' + e % 10);
        e /= 10;
    } while (e && i > 0);
    say("s4j-seccomp-exec: ");
    say(step);
    say(" failed: errno ");
    say(num + i);
    say("\n");
    for (;;) {
        sys6(NR_EXIT, 127, 0, 0, 0, 0, 0);
    }
}

__attribute__((used, noreturn)) void s4j_main(long *sp) {
    long argc = sp[0];
    char **argv = (char **) (sp + 1);
    char **envp = argv + argc + 1;
    if (argc < 3) {
        say("usage: s4j-seccomp-exec FILTER PROGRAM [ARG...]\n");
        for (;;) {
            sys6(NR_EXIT, 127, 0, 0, 0, 0, 0);
        }
    }
    long fd = sys6(NR_OPENAT, AT_FDCWD, (long) argv[1], O_RDONLY | O_CLOEXEC, 0, 0, 0);
    if (fd < 0) {
        fail("open of the filter", fd);
    }
    size_t have = 0;
    for (;;) {
        long n = sys6(NR_READ, fd, (long) (program + have), (long) (sizeof program - have), 0, 0, 0);
        if (n < 0) {
            fail("read of the filter", n);
        }
        if (n == 0) {
            break;
        }
        have += (size_t) n;
        if (have > MAX_BYTES) {
            fail("read of the filter (longer than 4096 instructions)", -7);
        }
    }
    sys6(NR_CLOSE, fd, 0, 0, 0, 0, 0);
    if (have == 0 || have % 8 != 0) {
        fail("read of the filter (not whole 8-byte instructions)", -22);
    }
    long r = sys6(NR_PRCTL, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0);
    if (r < 0) {
        fail("prctl(PR_SET_NO_NEW_PRIVS)", r);
    }
    struct sock_fprog prog;
    prog.len = (unsigned short) (have / 8);
    prog.filter = program;
    r = sys6(NR_SECCOMP, SECCOMP_SET_MODE_FILTER, 0, (long) &prog, 0, 0, 0);
    if (r < 0) {
        fail("seccomp(SECCOMP_SET_MODE_FILTER)", r);
    }
    r = sys6(NR_EXECVE, (long) argv[2], (long) (argv + 2), (long) envp, 0, 0, 0);
    fail("execve of the program", r);
}
