/*
 * s4j-kill-tree PID
 *
 * Kills the process tree rooted at PID (a pid of the caller's pid namespace): PID, and every process whose
 * session, process group or parent is in the set, grown until it stops growing. Each member is stopped
 * (SIGSTOP) as soon as it is found, so that none can fork out of the set while the scan runs; then every
 * member gets SIGKILL and SIGCONT. The same set as sandbox4j's builtins-only kill script
 * (ExecScripts.KILL_SCRIPT), for gVisor sandboxes: there every system call of a process is slow (the
 * ptrace platform), and a shell's read builtin reads /proc/<pid>/stat a byte per call, so a scan of a busy
 * sandbox took seconds; this reads each file with one call.
 *
 * Freestanding (no C library). Exits 0 when the set was killed (an empty set too), 127 when /proc cannot
 * be read (one line on stderr).
 */

#include "s4j-freestanding.h"

#define SIGKILL 9
#define SIGCONT 18
#define SIGSTOP 19
#define O_DIRECTORY 0200000
#define MAX_MEMBERS 65536
#define SLOTS 131072 /* a power of two, twice MAX_MEMBERS */
#define MAX_ROUNDS 200

struct dirent64 {
    unsigned long d_ino;
    long d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

static int members[MAX_MEMBERS];
static int count;
static int slots[SLOTS]; /* open addressing; 0 is empty (pid 0 is no process of ours) */
static unsigned char dents[32768];
static char stat_buf[1024];
static char path[64];

static int has(int pid) {
    unsigned int i = ((unsigned int) pid * 2654435761u) & (SLOTS - 1);
    while (slots[i] != 0) {
        if (slots[i] == pid) {
            return 1;
        }
        i = (i + 1) & (SLOTS - 1);
    }
    return 0;
}

/* Adds pid and stops it; 0 when the set is full. */
static int add(int pid) {
    if (count == MAX_MEMBERS) {
        return 0;
    }
    unsigned int i = ((unsigned int) pid * 2654435761u) & (SLOTS - 1);
    while (slots[i] != 0) {
        i = (i + 1) & (SLOTS - 1);
    }
    slots[i] = pid;
    members[count++] = pid;
    sys6(NR_KILL, pid, SIGSTOP, 0, 0, 0, 0);
    return 1;
}

/* A decimal number at *s, advancing s; -1 when there is none. */
static long number(const char **s) {
    const char *p = *s;
    while (*p == ' ') {
        p++;
    }
    if (*p < '0' || *p > '9') {
        return -1;
    }
    long n = 0;
    while (*p >= '0' && *p <= '9') {
        n = n * 10 + (*p - '0');
        p++;
    }
    *s = p;
    return n;
}

/* "/proc/<pid>/stat" into path. */
static void stat_path(const char *pid) {
    const char *pre = "/proc/";
    int i = 0;
    for (const char *p = pre; *p; p++) {
        path[i++] = *p;
    }
    for (const char *p = pid; *p && i < (int) sizeof path - 6; p++) {
        path[i++] = *p;
    }
    for (const char *p = "/stat"; *p; p++) {
        path[i++] = *p;
    }
    path[i] = 0;
}

/*
 * Whether the process `name` (a /proc entry) has its parent, group or session in the set: its stat line
 * is "pid (comm) state ppid pgrp session ...", comm may hold spaces and parentheses.
 */
static int joins(const char *name) {
    stat_path(name);
    long fd = sys6(NR_OPENAT, AT_FDCWD, (long) path, O_RDONLY | O_CLOEXEC, 0, 0, 0);
    if (fd < 0) {
        return 0; /* gone */
    }
    long n = sys6(NR_READ, fd, (long) stat_buf, sizeof stat_buf - 1, 0, 0, 0);
    sys6(NR_CLOSE, fd, 0, 0, 0, 0, 0);
    if (n <= 0) {
        return 0;
    }
    stat_buf[n] = 0;
    const char *close = 0;
    for (const char *p = stat_buf; *p; p++) {
        if (*p == ')') {
            close = p;
        }
    }
    if (close == 0 || close[1] != ' ' || close[2] == 0) {
        return 0;
    }
    const char *p = close + 3; /* past ") S" */
    long ppid = number(&p);
    long pgrp = number(&p);
    long sid = number(&p);
    return (ppid > 0 && has((int) ppid)) || (pgrp > 0 && has((int) pgrp)) || (sid > 0 && has((int) sid));
}

/* One pass over /proc; returns how many joined, -1 when /proc cannot be read. */
static int scan(int self) {
    long dir = sys6(NR_OPENAT, AT_FDCWD, (long) "/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0, 0, 0);
    if (dir < 0) {
        return -1;
    }
    int joined = 0;
    for (;;) {
        long n = sys6(NR_GETDENTS64, dir, (long) dents, sizeof dents, 0, 0, 0);
        if (n <= 0) {
            break;
        }
        for (long off = 0; off < n;) {
            struct dirent64 *d = (struct dirent64 *) (dents + off);
            off += d->d_reclen;
            const char *name = d->d_name;
            const char *p = name;
            long pid = number(&p);
            if (pid <= 0 || *p != 0 || pid == self || has((int) pid)) {
                continue;
            }
            if (joins(name)) {
                if (!add((int) pid)) {
                    sys6(NR_CLOSE, dir, 0, 0, 0, 0, 0);
                    return 0; /* full: kill what is in it */
                }
                joined++;
            }
        }
    }
    sys6(NR_CLOSE, dir, 0, 0, 0, 0, 0);
    return joined;
}

__attribute__((used, noreturn)) void s4j_main(long *sp) {
    long argc = sp[0];
    char **argv = (char **) (sp + 1);
    const char *arg = argc == 2 ? argv[1] : "";
    long root = number(&arg);
    if (root <= 1 || *arg != 0) {
        say("usage: s4j-kill-tree PID (a pid above 1)\n");
        leave(127);
    }
    int self = (int) sys6(NR_GETPID, 0, 0, 0, 0, 0, 0);
    add((int) root);
    for (int round = 0; round < MAX_ROUNDS; round++) {
        int joined = scan(self);
        if (joined < 0) {
            say("s4j-kill-tree: cannot read /proc\n");
            for (int i = 0; i < count; i++) {
                sys6(NR_KILL, members[i], SIGKILL, 0, 0, 0, 0);
            }
            leave(127);
        }
        if (joined == 0) {
            break;
        }
    }
    for (int i = 0; i < count; i++) {
        sys6(NR_KILL, members[i], SIGKILL, 0, 0, 0, 0);
    }
    for (int i = 0; i < count; i++) {
        sys6(NR_KILL, members[i], SIGCONT, 0, 0, 0, 0);
    }
    leave(0);
}
