/*
 * The contract kit's attack helper (AttackHelper compiles it on the host with gcc -static -O2 and runs it
 * inside a sandbox). It makes each attempt of the escape classes with raw system calls, through the x86_64
 * ABI and, where the kernel has them, through the i386 ABI (int 0x80 from this 64-bit binary) and the x32
 * ABI (number | 0x40000000), each attempt in a child process of its own (a filter may kill the caller), and
 * prints one line per attempt:
 *
 *     <abi>.<attempt> <result> <errno>
 *
 * result is 0 when the call succeeded (an fd or a pid counts as success), -1 when it failed with errno
 * (its name: EPERM, ENOSYS...), or "killed" with the signal's name as the third field. Before the attempts
 * of an ABI comes one line "abi.<abi> available|absent|killed <detail>"; the attempts of an absent ABI are
 * not made (the kernel has no such entry: an x32-less kernel answers ENOSYS, a kernel without IA32
 * emulation faults on int 0x80).
 *
 * Usage: attack <dir> <group>[,<group>...]
 *   dir    a directory to make (mode 0755) for the files the attempts create, one per attempt, named
 *          <abi>.<attempt>, left in place for the host to inspect
 *   group  setid (chmod, fchmod, fchmodat, fchmodat2, open, openat, creat with O_CREAT and O_TMPFILE,
 *          mknod, mknodat with S_ISUID and with S_ISGID, openat2), ns (clone with each CLONE_NEW* flag,
 *          clone3, unshare, setns), uring (io_uring_setup, _enter, _register), vsock (socket(AF_VSOCK), and
 *          socketcall on i386), controls (calls that must succeed: creating opens and chmod without a
 *          set-id bit, mknod of a regular file, clone without a namespace flag, socket(AF_UNIX))
 *
 * Only this file's own code runs: no shell, no library call but fork/wait/open/write/exit of the x86_64
 * ABI (which a sandbox must allow anyway), so the same binary works in the host's system dirs, a
 * busybox-only image and a Debian guest. Exit status 0 when every line was printed, 2 on a usage error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define X32_BIT 0x40000000L

enum abi { X86_64, I386, X32 };
static const char *ABI_NAME[] = {"x86_64", "i386", "x32"};

/* the kernel's numbers per ABI; x32 uses the x86_64 numbers with X32_BIT (these calls are common ones) */
struct nr { long x86_64, i386; };
static const struct nr NR_OPEN = {2, 5}, NR_CREAT = {85, 8}, NR_CHMOD = {90, 15}, NR_FCHMOD = {91, 94},
    NR_MKNOD = {133, 14}, NR_OPENAT = {257, 295}, NR_MKNODAT = {259, 297}, NR_FCHMODAT = {268, 306},
    NR_OPENAT2 = {437, 437}, NR_FCHMODAT2 = {452, 452}, NR_IO_URING_SETUP = {425, 425},
    NR_IO_URING_ENTER = {426, 426}, NR_IO_URING_REGISTER = {427, 427}, NR_CLONE = {56, 120},
    NR_CLONE3 = {435, 435}, NR_UNSHARE = {272, 310}, NR_SETNS = {308, 346}, NR_SOCKET = {41, 359},
    NR_SOCKETCALL = {-1, 102}, NR_GETPID = {39, 20};
#define NR_EXIT_GROUP_X86_64 231L

#define S_SUID 04000
#define S_SGID 02000
#define MY_O_TMPFILE (020000000 | 0200000) /* __O_TMPFILE | O_DIRECTORY */
#define MY_AF_VSOCK 40
#define MY_AT_FDCWD (-100)

/* CLONE_NEW* from linux/sched.h */
#define MY_CLONE_NEWTIME 0x00000080L
#define MY_CLONE_NEWNS 0x00020000L
#define MY_CLONE_NEWCGROUP 0x02000000L
#define MY_CLONE_NEWUTS 0x04000000L
#define MY_CLONE_NEWIPC 0x08000000L
#define MY_CLONE_NEWUSER 0x10000000L
#define MY_CLONE_NEWPID 0x20000000L
#define MY_CLONE_NEWNET 0x40000000L

/*
 * Every pointer handed to the kernel lives here, in the binary's static data: a static non-PIE binary is
 * loaded below 4 GiB, where the i386 ABI (32-bit registers) can reach it. main() checks.
 */
static char path_buf[4096];
static uint64_t args_buf[16];      /* clone_args, open_how, socketcall arguments */
static unsigned char params_buf[256]; /* io_uring_params */
static char dir_buf[3072];

static long sys64(long nr, long a, long b, long c, long d, long e) {
    long ret;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8)
                     : "rcx", "r11", "memory");
    return ret;
}

static long sys32(long nr, long a, long b, long c, long d, long e) {
    long ret;
    __asm__ volatile("int $0x80"
                     : "=a"(ret)
                     : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d), "D"(e)
                     : "r8", "r9", "r10", "r11", "memory");
    return ret;
}

static long sys(enum abi abi, struct nr nr, long a, long b, long c, long d, long e) {
    switch (abi) {
    case I386:
        return sys32(nr.i386, a, b, c, d, e);
    case X32:
        return sys64(nr.x86_64 | X32_BIT, a, b, c, d, e);
    default:
        return sys64(nr.x86_64, a, b, c, d, e);
    }
}

static const char *errname(int e) {
    static char other[16];
    switch (e) {
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case ESRCH: return "ESRCH";
    case EINTR: return "EINTR";
    case EIO: return "EIO";
    case EBADF: return "EBADF";
    case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM";
    case EACCES: return "EACCES";
    case EFAULT: return "EFAULT";
    case EBUSY: return "EBUSY";
    case EEXIST: return "EEXIST";
    case EXDEV: return "EXDEV";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case EINVAL: return "EINVAL";
    case ENFILE: return "ENFILE";
    case EMFILE: return "EMFILE";
    case ENOSPC: return "ENOSPC";
    case EROFS: return "EROFS";
    case ENOSYS: return "ENOSYS";
    case ELOOP: return "ELOOP";
    case EUSERS: return "EUSERS";
    case ENOTSOCK: return "ENOTSOCK";
    case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
    case ESOCKTNOSUPPORT: return "ESOCKTNOSUPPORT";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case ENODEV: return "ENODEV";
    default:
        snprintf(other, sizeof other, "E%d", e);
        return other;
    }
}

static const char *signame(int s) {
    static char other[16];
    switch (s) {
    case SIGSYS: return "SIGSYS";
    case SIGSEGV: return "SIGSEGV";
    case SIGKILL: return "SIGKILL";
    case SIGILL: return "SIGILL";
    case SIGBUS: return "SIGBUS";
    case SIGABRT: return "SIGABRT";
    default:
        snprintf(other, sizeof other, "SIG%d", s);
        return other;
    }
}

static void say(const char *line) {
    size_t n = strlen(line);
    while (n > 0) {
        ssize_t w = write(1, line, n);
        if (w <= 0) {
            if (w < 0 && errno == EINTR) {
                continue;
            }
            _exit(3);
        }
        line += w;
        n -= (size_t) w;
    }
}

static void report(const char *name, long raw) {
    char line[256];
    if (raw < 0 && raw > -4096) {
        snprintf(line, sizeof line, "%s -1 %s\n", name, errname((int) -raw));
    } else {
        snprintf(line, sizeof line, "%s 0 OK\n", name);
    }
    say(line);
}

/* the file of one attempt: <dir>/<name> */
static const char *file_of(const char *name) {
    snprintf(path_buf, sizeof path_buf, "%s/%s", dir_buf, name);
    return path_buf;
}

/* an existing plain file (0644) for the mode-changing calls, made with libc's x86_64 openat */
static int plain_file(const char *name) {
    int fd = open(file_of(name), O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
    return fd;
}

/* After a successful clone: the new process leaves at once, the caller waits for it. */
static long after_clone(long raw) {
    if (raw == 0) {
        sys64(NR_EXIT_GROUP_X86_64, 0, 0, 0, 0, 0);
    }
    if (raw > 0) {
        int st;
        waitpid((pid_t) raw, &st, __WALL);
    }
    return raw;
}

typedef long (*attempt_fn)(enum abi abi, const char *name, long arg);

struct attempt {
    const char *name;
    attempt_fn fn;
    long arg;
};

static long a_chmod(enum abi abi, const char *name, long mode) {
    int fd = plain_file(name);
    if (fd < 0) {
        return -errno;
    }
    close(fd);
    return sys(abi, NR_CHMOD, (long) file_of(name), mode, 0, 0, 0);
}

static long a_fchmod(enum abi abi, const char *name, long mode) {
    int fd = plain_file(name);
    if (fd < 0) {
        return -errno;
    }
    return sys(abi, NR_FCHMOD, fd, mode, 0, 0, 0);
}

static long a_fchmodat(enum abi abi, const char *name, long mode) {
    int fd = plain_file(name);
    if (fd < 0) {
        return -errno;
    }
    close(fd);
    return sys(abi, NR_FCHMODAT, MY_AT_FDCWD, (long) file_of(name), mode, 0, 0);
}

static long a_fchmodat2(enum abi abi, const char *name, long mode) {
    int fd = plain_file(name);
    if (fd < 0) {
        return -errno;
    }
    close(fd);
    return sys(abi, NR_FCHMODAT2, MY_AT_FDCWD, (long) file_of(name), mode, 0, 0);
}

static long a_open_creat(enum abi abi, const char *name, long mode) {
    return sys(abi, NR_OPEN, (long) file_of(name), O_CREAT | O_WRONLY, mode, 0, 0);
}

static long a_openat_creat(enum abi abi, const char *name, long mode) {
    return sys(abi, NR_OPENAT, MY_AT_FDCWD, (long) file_of(name), O_CREAT | O_WRONLY, mode, 0);
}

static long a_creat(enum abi abi, const char *name, long mode) {
    return sys(abi, NR_CREAT, (long) file_of(name), mode, 0, 0, 0);
}

/* An O_TMPFILE file that got through is linked into the directory, so that the host can see its mode. */
static long link_tmpfile(long fd, const char *name) {
    if (fd >= 0) {
        char proc[64];
        snprintf(proc, sizeof proc, "/proc/self/fd/%ld", fd);
        linkat(AT_FDCWD, proc, AT_FDCWD, file_of(name), AT_SYMLINK_FOLLOW);
    }
    return fd;
}

static long a_open_tmpfile(enum abi abi, const char *name, long mode) {
    return link_tmpfile(sys(abi, NR_OPEN, (long) dir_buf, MY_O_TMPFILE | O_RDWR, mode, 0, 0), name);
}

static long a_openat_tmpfile(enum abi abi, const char *name, long mode) {
    return link_tmpfile(sys(abi, NR_OPENAT, MY_AT_FDCWD, (long) dir_buf, MY_O_TMPFILE | O_RDWR, mode, 0), name);
}

static long a_mknod(enum abi abi, const char *name, long mode) {
    return sys(abi, NR_MKNOD, (long) file_of(name), S_IFREG | mode, 0, 0, 0);
}

static long a_mknodat(enum abi abi, const char *name, long mode) {
    return sys(abi, NR_MKNODAT, MY_AT_FDCWD, (long) file_of(name), S_IFREG | mode, 0, 0);
}

static long a_openat2(enum abi abi, const char *name, long mode) {
    memset(args_buf, 0, sizeof args_buf);
    args_buf[0] = O_CREAT | O_WRONLY; /* struct open_how: flags, mode, resolve */
    args_buf[1] = (uint64_t) mode;
    args_buf[2] = 0;
    return sys(abi, NR_OPENAT2, MY_AT_FDCWD, (long) file_of(name), (long) args_buf, 24, 0);
}

static long a_clone(enum abi abi, const char *name, long flags) {
    (void) name;
    /* stack 0: the child runs on a copy of this stack, like fork(); both ABIs take the flags first */
    return after_clone(sys(abi, NR_CLONE, flags | SIGCHLD, 0, 0, 0, 0));
}

static long a_clone3(enum abi abi, const char *name, long flags) {
    (void) name;
    memset(args_buf, 0, sizeof args_buf);
    args_buf[0] = (uint64_t) flags; /* struct clone_args: flags, pidfd, child_tid, parent_tid, exit_signal... */
    args_buf[4] = SIGCHLD;
    return after_clone(sys(abi, NR_CLONE3, (long) args_buf, 88, 0, 0, 0));
}

static long a_unshare(enum abi abi, const char *name, long flags) {
    (void) name;
    return sys(abi, NR_UNSHARE, flags, 0, 0, 0, 0);
}

/*
 * setns with this process's own user namespace (or "/" where /proc is missing): without a filter the
 * kernel answers EINVAL (already a member; not a namespace), so only a filter answers EPERM.
 */
static long a_setns(enum abi abi, const char *name, long nstype) {
    (void) name;
    int fd = open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fd = open("/", O_RDONLY | O_CLOEXEC);
    }
    if (fd < 0) {
        return -errno;
    }
    return sys(abi, NR_SETNS, fd, nstype, 0, 0, 0);
}

static long a_io_uring_setup(enum abi abi, const char *name, long entries) {
    (void) name;
    memset(params_buf, 0, sizeof params_buf);
    return sys(abi, NR_IO_URING_SETUP, entries, (long) params_buf, 0, 0, 0);
}

/* io_uring_enter and _register on a descriptor that is no ring: EBADF/EOPNOTSUPP unless a filter answers first */
static long a_io_uring_enter(enum abi abi, const char *name, long unused) {
    (void) name;
    (void) unused;
    return sys(abi, NR_IO_URING_ENTER, 0, 0, 0, 0, 0);
}

static long a_io_uring_register(enum abi abi, const char *name, long unused) {
    (void) name;
    (void) unused;
    return sys(abi, NR_IO_URING_REGISTER, 0, 0, 0, 0, 0);
}

static long a_socket(enum abi abi, const char *name, long family_type) {
    (void) name;
    return sys(abi, NR_SOCKET, family_type >> 8, family_type & 0xff, 0, 0, 0);
}

/* i386's multiplexed socketcall(SYS_SOCKET, {family, type, protocol}): the arguments lie in memory */
static long a_socketcall(enum abi abi, const char *name, long family_type) {
    (void) name;
    uint32_t *args = (uint32_t *) args_buf;
    if (abi != I386) {
        return -ENOSYS;
    }
    memset(args_buf, 0, sizeof args_buf);
    args[0] = (uint32_t) (family_type >> 8);
    args[1] = (uint32_t) (family_type & 0xff);
    args[2] = 0;
    return sys(abi, NR_SOCKETCALL, 1, (long) args, 0, 0, 0);
}

#define SUID (S_SUID | 0755)
#define SGID (S_SGID | 0755)

static const struct attempt SETID[] = {
    {"chmod.suid", a_chmod, SUID}, {"chmod.sgid", a_chmod, SGID},
    {"fchmod.suid", a_fchmod, SUID}, {"fchmod.sgid", a_fchmod, SGID},
    {"fchmodat.suid", a_fchmodat, SUID}, {"fchmodat.sgid", a_fchmodat, SGID},
    {"fchmodat2.suid", a_fchmodat2, SUID}, {"fchmodat2.sgid", a_fchmodat2, SGID},
    {"open-creat.suid", a_open_creat, SUID}, {"open-creat.sgid", a_open_creat, SGID},
    {"openat-creat.suid", a_openat_creat, SUID}, {"openat-creat.sgid", a_openat_creat, SGID},
    {"creat.suid", a_creat, SUID}, {"creat.sgid", a_creat, SGID},
    {"open-tmpfile.suid", a_open_tmpfile, SUID}, {"open-tmpfile.sgid", a_open_tmpfile, SGID},
    {"openat-tmpfile.suid", a_openat_tmpfile, SUID}, {"openat-tmpfile.sgid", a_openat_tmpfile, SGID},
    {"mknod.suid", a_mknod, SUID}, {"mknod.sgid", a_mknod, SGID},
    {"mknodat.suid", a_mknodat, SUID}, {"mknodat.sgid", a_mknodat, SGID},
    {"openat2.suid", a_openat2, SUID}, {"openat2.plain", a_openat2, 0644},
    {NULL, NULL, 0}};

static const struct attempt NS[] = {
    {"clone.newns", a_clone, MY_CLONE_NEWNS}, {"clone.newcgroup", a_clone, MY_CLONE_NEWCGROUP},
    {"clone.newuts", a_clone, MY_CLONE_NEWUTS}, {"clone.newipc", a_clone, MY_CLONE_NEWIPC},
    {"clone.newuser", a_clone, MY_CLONE_NEWUSER}, {"clone.newpid", a_clone, MY_CLONE_NEWPID},
    {"clone.newnet", a_clone, MY_CLONE_NEWNET}, {"clone.newtime", a_clone, MY_CLONE_NEWTIME},
    {"clone.newuser-newnet", a_clone, MY_CLONE_NEWUSER | MY_CLONE_NEWNET},
    {"clone.newuser-newns", a_clone, MY_CLONE_NEWUSER | MY_CLONE_NEWNS},
    {"clone3.newuser", a_clone3, MY_CLONE_NEWUSER}, {"clone3.plain", a_clone3, 0},
    {"unshare.newuser", a_unshare, MY_CLONE_NEWUSER}, {"unshare.newnet", a_unshare, MY_CLONE_NEWNET},
    {"unshare.newns", a_unshare, MY_CLONE_NEWNS},
    {"setns.user", a_setns, 0},
    {NULL, NULL, 0}};

static const struct attempt URING[] = {
    {"io_uring_setup", a_io_uring_setup, 1}, {"io_uring_enter", a_io_uring_enter, 0},
    {"io_uring_register", a_io_uring_register, 0},
    {NULL, NULL, 0}};

static const struct attempt VSOCK[] = {
    {"socket.vsock-stream", a_socket, (MY_AF_VSOCK << 8) | 1}, {"socket.vsock-dgram", a_socket, (MY_AF_VSOCK << 8) | 2},
    {"socketcall.vsock-stream", a_socketcall, (MY_AF_VSOCK << 8) | 1},
    {NULL, NULL, 0}};

static const struct attempt CONTROLS[] = {
    {"ctl.open-creat.0644", a_open_creat, 0644}, {"ctl.openat-creat.0644", a_openat_creat, 0644},
    {"ctl.creat.0644", a_creat, 0644}, {"ctl.chmod.0755", a_chmod, 0755}, {"ctl.fchmod.0755", a_fchmod, 0755},
    {"ctl.fchmodat.0755", a_fchmodat, 0755}, {"ctl.mknod.0644", a_mknod, 0644},
    {"ctl.mknodat.0644", a_mknodat, 0644}, {"ctl.clone", a_clone, 0},
    {"ctl.socket.unix", a_socket, (1 << 8) | 1},
    {NULL, NULL, 0}};

/* Runs fn in a child; prints its line, or "killed <signal>" when the child died of a signal. */
static void run_one(enum abi abi, const struct attempt *a) {
    char full[128];
    snprintf(full, sizeof full, "%s.%s", ABI_NAME[abi], a->name);
    if (abi != I386 && strncmp(a->name, "socketcall.", 11) == 0) {
        return; /* socketcall exists on i386 only */
    }
    pid_t pid = fork();
    if (pid < 0) {
        char line[256];
        snprintf(line, sizeof line, "%s fork-failed %s\n", full, errname(errno));
        say(line);
        return;
    }
    if (pid == 0) {
        long raw = a->fn(abi, full, a->arg);
        report(full, raw);
        _exit(0);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0) {
        if (errno != EINTR) {
            char line[256];
            snprintf(line, sizeof line, "%s wait-failed %s\n", full, errname(errno));
            say(line);
            return;
        }
    }
    if (WIFSIGNALED(st)) {
        char line[256];
        snprintf(line, sizeof line, "%s killed %s\n", full, signame(WTERMSIG(st)));
        say(line);
    }
}

/* Whether an ABI can be entered: getpid through it, in a child (a filter may kill, int 0x80 may fault). */
static int probe_abi(enum abi abi) {
    char line[256];
    if (abi == X86_64) {
        say("abi.x86_64 available OK\n");
        return 1;
    }
    if (abi == I386 && ((uintptr_t) (path_buf + sizeof path_buf) > 0xffffffffu
                        || (uintptr_t) (args_buf + 16) > 0xffffffffu || (uintptr_t) (dir_buf + sizeof dir_buf) > 0xffffffffu)) {
        say("abi.i386 absent buffers-above-4GiB(build-with--no-pie)\n");
        return 0;
    }
    int fds[2];
    if (pipe(fds) != 0) {
        snprintf(line, sizeof line, "abi.%s absent pipe-failed-%s\n", ABI_NAME[abi], errname(errno));
        say(line);
        return 0;
    }
    pid_t pid = fork();
    if (pid == 0) {
        long r = abi == I386 ? sys32(NR_GETPID.i386, 0, 0, 0, 0, 0) : sys64(NR_GETPID.x86_64 | X32_BIT, 0, 0, 0, 0, 0);
        if (write(fds[1], &r, sizeof r) < 0) { _exit(1); }
        _exit(0);
    }
    close(fds[1]);
    long r = 0;
    ssize_t got = read(fds[0], &r, sizeof r);
    close(fds[0]);
    int st = 0;
    waitpid(pid, &st, 0);
    if (WIFSIGNALED(st)) {
        if (WTERMSIG(st) == SIGSYS) {
            /* a filter that does not list this ABI kills its callers: every attempt below is killed */
            snprintf(line, sizeof line, "abi.%s killed SIGSYS\n", ABI_NAME[abi]);
            say(line);
            return 1;
        }
        snprintf(line, sizeof line, "abi.%s absent %s\n", ABI_NAME[abi], signame(WTERMSIG(st)));
        say(line);
        return 0;
    }
    if (got != sizeof r || r < 0) {
        snprintf(line, sizeof line, "abi.%s absent %s\n", ABI_NAME[abi], got == sizeof r ? errname((int) -r) : "no-answer");
        say(line);
        return 0;
    }
    snprintf(line, sizeof line, "abi.%s available OK\n", ABI_NAME[abi]);
    say(line);
    return 1;
}

int main(int argc, char **argv) {
    if (argc != 3 || strlen(argv[1]) >= sizeof dir_buf - 128) {
        fprintf(stderr, "usage: %s DIR setid|ns|uring|vsock|controls[,...]\n", argv[0]);
        return 2;
    }
    strcpy(dir_buf, argv[1]);
    if (mkdir(dir_buf, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "attack: mkdir %s: %s\n", dir_buf, strerror(errno));
        return 2;
    }
    const struct attempt *groups[8];
    int n = 0;
    char spec[256];
    snprintf(spec, sizeof spec, "%s", argv[2]);
    for (char *g = strtok(spec, ","); g != NULL && n < 8; g = strtok(NULL, ",")) {
        if (strcmp(g, "setid") == 0) groups[n++] = SETID;
        else if (strcmp(g, "ns") == 0) groups[n++] = NS;
        else if (strcmp(g, "uring") == 0) groups[n++] = URING;
        else if (strcmp(g, "vsock") == 0) groups[n++] = VSOCK;
        else if (strcmp(g, "controls") == 0) groups[n++] = CONTROLS;
        else {
            fprintf(stderr, "attack: unknown group '%s'\n", g);
            return 2;
        }
    }
    for (int abi = X86_64; abi <= X32; abi++) {
        if (!probe_abi((enum abi) abi)) {
            continue;
        }
        for (int i = 0; i < n; i++) {
            for (const struct attempt *a = groups[i]; a->name != NULL; a++) {
                run_one((enum abi) abi, a);
            }
        }
    }
    say("done\n");
    return 0;
}
