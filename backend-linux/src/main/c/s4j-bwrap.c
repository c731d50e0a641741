/*
 * s4j-bwrap.c: "s4j-launch --bwrap FILE", the bubblewrap backend's launcher. One static exec that does,
 * in this order, what must happen before bwrap and cannot be done by bwrap itself, then becomes bwrap:
 *   1. reads FILE (NUL-separated, deleted at once: no environment value shows in the process list);
 *   2. joins the sandbox's cgroups (writes its pid into every --cgroup-procs file);
 *   3. as root, for the --stage* binds: a private mount namespace (slave of the host's, so nothing goes
 *      back), then a detached copy of each source (open_tree), the --stage-own ones idmapped like the
 *      namespaces backend's own binds (the JVM's files appear as the sandbox user's and what the sandbox
 *      writes is stored as the JVM's), attached on its empty mount point DST in the session's private
 *      directory, where bwrap, no longer root, can bind it from (the source itself may sit below a
 *      directory only root can enter);
 *   4. the setuid guard of s4j-launch.c when an idmapped bind is writable (a sandbox could otherwise leave
 *      a setuid-root file on the host), handed to bwrap as another seccomp program;
 *   5. lowers the rlimits (soft = hard, inherited by everything below);
 *   6. as root with --host-uid/--host-gid: no supplementary groups, then those ids, so that bwrap makes its
 *      user namespace unprivileged and the sandbox is the host's nobody, without owner rights over any
 *      root file it can see;
 *   7. PR_SET_PDEATHSIG(SIGKILL) (after the id change, which clears it), then checks that the JVM is still
 *      its parent: bwrap dies with the JVM's spawning thread;
 *   8. becomes a child subreaper and forks: the child execs bwrap --args 4 [--add-seccomp-fd 5] -- PROGRAM...,
 *      with an empty environment and only fds 0-2, 3 (the policy's seccomp program, when given), 4 (the
 *      options) and 5 (the guard) open; we close ours, reap bwrap and the pid 1 it orphans (see the end of
 *      bwrap_main), and exit with bwrap's status.
 * "s4j-launch --bwrap-standby [--parent-pid PID] [--cgroup-procs FILE]...": the same, started ahead of its exec
 * (when the session opens): it sets PR_SET_PDEATHSIG, does step 2 at once, then reads FILE's path from
 * stdin (one line; nothing after the newline is read: the rest of stdin is the command's) and goes on with
 * step 1 and 3 to 8 (FILE then names no cgroup). The JVM's start of a process (1 to 3 ms) and a join
 * through cgroup.procs (an RCU grace period, 5 to 15 ms on a busy host: see join_cgroups) thus elapse while
 * the JVM still prepares the sandbox instead of inside the exec. EOF before the newline: exits 0.
 * FILE: [--parent-pid PID] [--cgroup-procs FILE]... [--rlimit NAME=N]... [--seccomp BPF-FILE]
 *       [--host-uid N --host-gid N] [--stage|--stage-ro|--stage-own|--stage-ro-own SRC DST]...
 *       --bwrap PATH --options N OPTION... -- PROGRAM [ARG]...
 * A failure before bwrap runs exits 125 with "s4j-launch: <step>: <error>" on stderr.
 */
#include "s4j-launch.h"

#define SECCOMP_FD 3
#define OPTIONS_FD 4
#define GUARD_FD 5

/* An fd (no close-on-exec) holding data, read from its start. */
static int memfd_with(const char *what, const void *data, size_t len) {
    int fd = (int) syscall(SYS_memfd_create, what, 0);
    if (fd < 0) fail("memfd_create %s", what);
    for (size_t at = 0; at < len;) {
        ssize_t n = write(fd, (const char *) data + at, len - at);
        if (n <= 0) fail("write %s", what);
        at += (size_t) n;
    }
    if (lseek(fd, 0, SEEK_SET) < 0) fail("lseek %s", what);
    return fd;
}

/* Moves fd to exactly target (inherited across exec); fds are first parked above 9 so none clobbers another. */
static void place(int fd, int target) {
    if (dup2(fd, target) < 0) fail("dup2 %d to %d", fd, target);
    close(fd);
}

static int park(int fd) {
    int high = fcntl(fd, F_DUPFD_CLOEXEC, 10);
    if (high < 0) fail("fcntl F_DUPFD");
    close(fd);
    return high;
}

static _Noreturn void reap_below(pid_t bwrap);

int bwrap_standby_main(int argc, char **argv) {
    /* an unused standby must not outlive the JVM either (bwrap_main sets it again after the id change) */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) fail("PR_SET_PDEATHSIG");
    bwrap_main(standby_wait(argc, argv));
}

int bwrap_main(const char *path) {
    static char *args[2 * MAX_LIST + 64];
    static const struct { const char *flag; enum kind kind; } stages[] = {
        {"--stage", BIND}, {"--stage-ro", RO_BIND}, {"--stage-own", BIND_OWN}, {"--stage-ro-own", RO_BIND_OWN}};
    int argc = read_args(path, args, 0, sizeof args / sizeof args[0]);
    const char *seccomp = NULL, *bwrap = NULL;
    char **options = NULL, **command = NULL;
    long nopts = -1, uid = -1, gid = -1;
    for (int i = 0; i < argc && !command; i++) {
        const char *f = args[i], *v = i + 1 < argc ? args[i + 1] : NULL;
        size_t k = 0;
        while (k < sizeof stages / sizeof stages[0] && strcmp(f, stages[k].flag)) k++;
        if (!strcmp(f, "--")) {
            command = args + i + 1;
            break;
        }
        if (!v) usage("missing value after", f);
        if (k < sizeof stages / sizeof stages[0]) {
            if (i + 2 >= argc) usage("missing values after", f);
            if (nops == MAX_LIST) usage("too many binds at", f);
            ops[nops++] = (struct op){stages[k].kind, abs_path(v), abs_path(args[i + 2]), 0, 0, -1, 0};
            i += 2;
            continue;
        }
        i++;
        if (!strcmp(f, "--parent-pid")) parent_pid = number(v, 10, 1L << 30);
        else if (!strcmp(f, "--cgroup-procs")) {
            if (ncgroups == MAX_LIST) usage("too many --cgroup-procs at", v);
            cgroup_files[ncgroups++] = abs_path(v);
        } else if (!strcmp(f, "--rlimit")) rlimit_arg(v);
        else if (!strcmp(f, "--seccomp")) seccomp = abs_path(v);
        else if (!strcmp(f, "--host-uid")) uid = number(v, 10, 0xfffffffeL);
        else if (!strcmp(f, "--host-gid")) gid = number(v, 10, 0xfffffffeL);
        else if (!strcmp(f, "--bwrap")) bwrap = abs_path(v);
        else if (!strcmp(f, "--options")) {
            nopts = number(v, 10, argc - i - 1);
            options = args + i + 1;
            i += (int) nopts;
        } else usage("unknown flag", f);
    }
    if (!bwrap || nopts < 0 || !command || !command[0]) usage("--bwrap, --options and a command after -- are required", "");
    if ((uid < 0) != (gid < 0)) usage("--host-uid and --host-gid go together", "");
    int root = geteuid() == 0;
    if ((uid >= 0 || nops) && !root) { errno = EPERM; fail("--host-uid and --stage need root"); }
    if (parent_pid >= 0 && getppid() != parent_pid) { errno = ESRCH; fail("the parent %ld is gone", parent_pid); }

    join_cgroups();
    int fds[3] = {-1, -1, -1};
    if (seccomp) {
        fds[0] = open(seccomp, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fds[0] < 0) fail("seccomp: open %s", seccomp);
        fds[0] = park(fds[0]);
    }
    size_t olen = 0;
    for (long i = 0; i < nopts; i++) olen += strlen(options[i]) + 1;
    fds[1] = park(memfd_with("s4j-bwrap-options", nopts ? options[0] : "", olen));

    if (nops) {
        if (unshare(CLONE_NEWNS) < 0) fail("unshare a mount namespace for the staged binds");
        if (mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0) fail("make / a slave mount");
        if (uid >= 0) {
            host_uid = uid;
            host_gid = gid;
        }
        int writable_idmap = clone_sources(uid >= 0 && getuid() != (uid_t) uid);
        for (int i = 0; i < nops; i++) {
            if (syscall(SYS_move_mount, ops[i].tree, "", AT_FDCWD, ops[i].b, MOVE_MOUNT_F_EMPTY_PATH) < 0)
                fail("stage %s on %s", ops[i].a, ops[i].b);
            close(ops[i].tree);
        }
        if (writable_idmap) {
            build_guard();
            fds[2] = park(memfd_with("s4j-setuid-guard", guard, guard_len * sizeof guard[0]));
        }
    }
    lower_rlimits();
    if (uid >= 0) {
        if (setgroups(0, NULL) < 0) fail("setgroups");
        if (setresgid((gid_t) gid, (gid_t) gid, (gid_t) gid) < 0) fail("setresgid %ld on the host", gid);
        if (setresuid((uid_t) uid, (uid_t) uid, (uid_t) uid) < 0) fail("setresuid %ld on the host", uid);
    }
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) fail("PR_SET_PDEATHSIG");
    if (parent_pid >= 0 && getppid() != parent_pid) _exit(137); /* the JVM died meanwhile: so do we */

    static const int targets[3] = {SECCOMP_FD, OPTIONS_FD, GUARD_FD};
    for (int i = 0; i < 3; i++)
        if (fds[i] >= 0) place(fds[i], targets[i]);
    static char *bargv[2 * MAX_LIST + 64];
    int n = 0;
    bargv[n++] = (char *) "bwrap";
    bargv[n++] = (char *) "--args";
    bargv[n++] = (char *) "4";
    if (fds[2] >= 0) {
        bargv[n++] = (char *) "--add-seccomp-fd";
        bargv[n++] = (char *) "5";
    }
    bargv[n++] = (char *) "--";
    for (char **c = command; *c; c++) {
        if (n == sizeof bargv / sizeof bargv[0] - 1) usage("too many command arguments at", *c);
        bargv[n++] = *c;
    }
    bargv[n] = NULL;
    static char *empty[] = {NULL};
    /*
     * bwrap's outer process exits as soon as its pid 1 has reported the command's status, before that pid 1
     * has finished exiting, which so is orphaned. Re-parented to the host's init it stays a zombie until that
     * init reaps it (this host's does so about every 1.5 s; a container whose PID 1 is the JVM never does),
     * and a zombie still counts against the sandbox's pids limit: a loop of quick execs then failed with
     * EAGAIN ("Can't fork for pid 1") after pids.max of them. So we stay bwrap's parent, as a child
     * subreaper: the orphan comes to us, and we exit (with bwrap's status) once nothing is left below us.
     */
    if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) fail("PR_SET_CHILD_SUBREAPER");
    pid_t self = getpid();
    pid_t child = fork();
    if (child < 0) fail("fork bwrap");
    if (child == 0) {
        /* a fork clears the parent-death signal: bwrap dies with us (and sets its own, --die-with-parent) */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) fail("PR_SET_PDEATHSIG");
        if (getppid() != self) _exit(137);
        execve(bwrap, bargv, empty);
        fail("exec %s", bwrap);
    }
    reap_below(child);
}

/*
 * The launcher's last role: keeps none of bwrap's fds (so EOF on the JVM's pipes comes from the sandbox
 * alone), reaps bwrap and every orphan re-parented to us, then exits with bwrap's status (128 + the signal
 * when a signal ended it, as the JVM reports a signalled child).
 */
static _Noreturn void reap_below(pid_t bwrap) {
    for (int fd = 0; fd <= GUARD_FD; fd++) close(fd);
    int code = FAIL_STATUS, st;
    for (;;) {
        pid_t p = waitpid(-1, &st, 0);
        if (p < 0 && errno == EINTR) continue;
        if (p < 0) break; /* ECHILD: nothing is left below us */
        if (p == bwrap) code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    }
    _exit(code);
}
