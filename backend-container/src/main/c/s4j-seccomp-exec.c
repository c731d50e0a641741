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

typedef unsigned long size_t;

#if defined(__x86_64__)
#define NR_READ 0
#define NR_WRITE 1
#define NR_CLOSE 3
#define NR_OPENAT 257
#define NR_PRCTL 157
#define NR_SECCOMP 317
#define NR_EXECVE 59
#define NR_EXIT 60

static long sys6(long n, long a, long b, long c, long d, long e, long f) {
    long ret;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}

__asm__(".text\n.global _start\n_start:\n\txor %rbp, %rbp\n\tmov %rsp, %rdi\n\tand $-16, %rsp\n\tcall s4j_main\n\thlt\n");
#elif defined(__aarch64__)
#define NR_READ 63
#define NR_WRITE 64
#define NR_CLOSE 57
#define NR_OPENAT 56
#define NR_PRCTL 167
#define NR_SECCOMP 277
#define NR_EXECVE 221
#define NR_EXIT 93

static long sys6(long n, long a, long b, long c, long d, long e, long f) {
    register long x8 __asm__("x8") = n;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    register long x3 __asm__("x3") = d;
    register long x4 __asm__("x4") = e;
    register long x5 __asm__("x5") = f;
    __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5) : "memory");
    return x0;
}

__asm__(".text\n.global _start\n_start:\n\tmov x29, #0\n\tmov x0, sp\n\tbl s4j_main\n\tbrk #0\n");
#else
#error "s4j-seccomp-exec supports x86_64 and aarch64"
#endif

#define AT_FDCWD (-100)
#define O_RDONLY 0
#define O_CLOEXEC 02000000
#define PR_SET_NO_NEW_PRIVS 38
#define SECCOMP_SET_MODE_FILTER 1
#define MAX_BYTES (4096 * 8) /* BPF_MAXINSNS instructions of 8 bytes */

struct sock_fprog {
    unsigned short len;
    void *filter;
};

static unsigned char program[MAX_BYTES + 8];

static size_t len(const char *s) {
    size_t n = 0;
    while (s[n]) {
        n++;
    }
    return n;
}

static void say(const char *s) {
    sys6(NR_WRITE, 2, (long) s, (long) len(s), 0, 0, 0);
}

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
