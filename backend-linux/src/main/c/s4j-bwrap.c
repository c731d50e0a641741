/*
 * s4j-bwrap.c: "s4j-launch --bwrap FILE", the bubblewrap backend's launcher. One static exec that does,
 * in this order, what must happen before bwrap and cannot be done by bwrap itself, then becomes bwrap:
 *   1. reads FILE (NUL-separated, deleted at once: no environment value shows in the process list);
 *   2. joins the sandbox's cgroups (writes its pid into every --cgroup-procs file);
 *   3. makes a private mount namespace (a slave of the host's, so nothing goes back): as root, in the
 *      host's user namespace; not root, together with a user namespace of its own that maps UID:GID to its
 *      own ids (bwrap then makes the sandbox's user namespace nested inside it), after joining, with
 *      --join-ns PID, the user and mount namespaces of the process holding the disk storage;
 *   4. verifies every --stage source and clones it (open_pinned then open_tree on the verified fd, as the
 *      namespaces launcher does; the _own ones idmapped with --idmap, as root), then mounts a tmpfs at
 *      STAGE (/tmp), which exists in this mount namespace only, and attaches each clone on its mount
 *      point DST there, in order (a DST may lie inside an earlier clone: the /etc view's directories);
 *      the tmpfs is 0711, as bwrap reaches it as the sandbox's uid;
 *   5. as root: makes a user namespace while still root, so that root owns it, mapping UID:GID to
 *      HOSTUID:HOSTGID, joins it (setns, which root may) and becomes UID:GID in it, the sandbox's own host
 *      ids; bwrap then makes the sandbox's user namespace nested inside it, as it does inside a launcher's
 *      own when not root;
 *   6. lowers the rlimits (soft = hard, inherited by everything below) and joins a new anonymous session
 *      keyring (new_session_keyring: the command possesses none of the JVM's keys);
 *   7. PR_SET_PDEATHSIG(SIGKILL), then checks that the JVM is still its parent: bwrap dies with the JVM's
 *      spawning thread;
 *   8. becomes a child subreaper and forks: the child execs bwrap --args 4 -- PROGRAM..., with an empty
 *      environment and only fds 0-2, 3 (the seccomp program) and 4 (the options) open; we close ours, reap
 *      bwrap and the pid 1 it orphans (see the end of bwrap_main), and exit with bwrap's status.
 * Why staging: bwrap binds by name and follows symbolic links, as root (or as the JVM's user). Every path
 * it binds from is therefore a clone on the staging tmpfs, which no process outside this mount namespace can
 * see, let alone replace, and whose source was verified against what the JVM pinned when the sandbox was
 * built; a source that a sandbox replaced (with a link to /etc, say) since then fails the exec instead.
 * Why a root-made user namespace: a user namespace is owned by its creator's euid, and a host process of
 * the owner's uid could enter it (and every namespace below it) and reach the sandbox's mounts through
 * /proc/PID/root. Had bwrap made it after a change to the sandbox's host uid, that uid would own it: no
 * other host process has that uid, but the namespaces would hang off the host's user namespace directly.
 * Made by root, the sandbox's chain of user namespaces starts with one only root can enter; bwrap's, nested
 * in it, is owned by the sandbox's own host uid, which nothing outside the chain has. (bwrap's --userns
 * would join ours directly, but bwrap hands that descriptor on to the command, and its setuid there clears
 * its parent-death signal.)
 * "s4j-launch --bwrap-standby [--parent-pid PID] [--cgroup-procs FILE]...": the same, started ahead of its exec
 * (when the session opens): it sets PR_SET_PDEATHSIG, does step 2 at once, then reads FILE's path from
 * stdin (one line; nothing after the newline is read: the rest of stdin is the command's) and goes on with
 * step 1 and 3 to 8 (FILE then names no cgroup). The JVM's start of a process (1 to 3 ms) and a join
 * through cgroup.procs (an RCU grace period, 5 to 15 ms on a busy host: see join_cgroups) thus elapse while
 * the JVM still prepares the sandbox instead of inside the exec. EOF before the newline: exits 0.
 * FILE: [--parent-pid PID] [--cgroup-procs FILE]... [--rlimit NAME=N]... --seccomp BPF-FILE
 *       --user UID:GID:HOSTUID:HOSTGID [--idmap FU:FG:TU:TG] [--join-ns PID]
 *       [--stage|--stage-ro|--stage-dev|--stage-own|--stage-ro-own DEV:INO SRC DST WHAT]...
 *       (WHAT names the bind in a failure's message: "the policy's mount at /data")
 *       --bwrap PATH --options N OPTION... -- PROGRAM [ARG]...
 * A failure before bwrap runs exits 125 with "s4j-launch: <step>: <error>" on stderr.
 */
#include "s4j-launch.h"

#define SECCOMP_FD 3
#define OPTIONS_FD 4
#define STAGE "/tmp"

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
    /* an unused standby must not outlive the JVM either (bwrap_main sets it again before bwrap) */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) fail("PR_SET_PDEATHSIG");
    bwrap_main(standby_wait(argc, argv));
}

/* Steps 3 and 4: the private mount namespace and the verified clones, attached on the staging tmpfs. */
static void stage(int root) {
    if (root) {
        if (unshare(CLONE_NEWNS) < 0) fail("unshare a mount namespace for the staged binds");
    } else {
        if (join_pid >= 0) join_storage();
        if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0) fail("unshare (user namespaces: sysctl user.max_user_namespaces)");
        write_maps("self");
    }
    if (mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0) fail("make / a slave mount");
    clone_sources(); /* first: the staging tmpfs covers /tmp, where sources may lie */
    /* 0711: bwrap, which runs as the sandbox's uid by the time it binds, must reach the mount points in it */
    if (mount("tmpfs", STAGE, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0711,size=1048576") < 0) fail("mount the staging tmpfs on %s", STAGE);
    for (int i = 0; i < nops; i++) {
        mount_point(ops[i].b, ops[i].is_dir);
        if (syscall(SYS_move_mount, ops[i].tree, "", AT_FDCWD, ops[i].b, MOVE_MOUNT_F_EMPTY_PATH) < 0)
            fail("stage %s on %s", ops[i].a, ops[i].b);
        close(ops[i].tree);
    }
}

int bwrap_main(const char *path) {
    static char *args[2 * MAX_LIST + 64];
    static const struct { const char *flag; enum kind kind; } stages[] = {
        {"--stage", BIND}, {"--stage-ro", RO_BIND}, {"--stage-dev", DEV_BIND}, {"--stage-own", BIND_OWN},
        {"--stage-ro-own", RO_BIND_OWN}};
    int argc = read_args(path, args, 0, sizeof args / sizeof args[0]);
    const char *seccomp = NULL, *bwrap = NULL;
    char **options = NULL, **command = NULL;
    long nopts = -1;
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
            if (i + 4 >= argc) usage("missing values after", f);
            if (nops == MAX_LIST) usage("too many binds at", f);
            const char *dst = abs_path(args[i + 3]);
            if (strncmp(dst, STAGE "/", strlen(STAGE) + 1) || !dst[strlen(STAGE) + 1]) usage("a stage's DST must lie below " STAGE ", not", dst);
            ops[nops] = (struct op){stages[k].kind, abs_path(args[i + 2]), dst, args[i + 4], 0, 0, 0, 0, -1, 0};
            pin_arg(&ops[nops++], v);
            i += 4;
            continue;
        }
        i++;
        if (!strcmp(f, "--parent-pid")) parent_pid = number(v, 10, 1L << 30);
        else if (!strcmp(f, "--cgroup-procs")) {
            if (ncgroups == MAX_LIST) usage("too many --cgroup-procs at", v);
            cgroup_files[ncgroups++] = abs_path(v);
        } else if (!strcmp(f, "--rlimit")) rlimit_arg(v);
        else if (!strcmp(f, "--seccomp")) seccomp = abs_path(v);
        else if (!strcmp(f, "--user")) user_arg(v);
        else if (!strcmp(f, "--idmap")) idmap_arg(v);
        else if (!strcmp(f, "--join-ns")) join_pid = number(v, 10, 1L << 30);
        else if (!strcmp(f, "--bwrap")) bwrap = abs_path(v);
        else if (!strcmp(f, "--options")) {
            nopts = number(v, 10, argc - i - 1);
            options = args + i + 1;
            i += (int) nopts;
        } else usage("unknown flag", f);
    }
    if (!bwrap || nopts < 0 || !command || !command[0] || !seccomp || uid < 0)
        usage("--seccomp, --user, --bwrap, --options and a command after -- are required", "");
    int root = geteuid() == 0;
    if (root && (host_uid == 0 || host_gid == 0)) {
        errno = EPERM;
        fail("--user %ld:%ld:%ld:%ld maps the sandbox to the host's root; give the sandbox's own host ids", uid, gid, host_uid, host_gid);
    }
    if (!root && (host_uid != (long) geteuid() || host_gid != (long) getegid())) {
        errno = EPERM;
        fail("--user maps to the host ids %ld:%ld, but a launcher that is not root can map only its own, %d:%d", host_uid, host_gid,
                (int) geteuid(), (int) getegid());
    }
    if (!root && idmap_from_uid >= 0) { errno = EPERM; fail("--idmap needs root (an idmapped mount of a host file system)"); }
    if (root && join_pid >= 0) { errno = EPERM; fail("--join-ns is for a launcher that is not root (a root JVM's storage is the host's)"); }
    if (parent_pid >= 0 && getppid() != parent_pid) { errno = ESRCH; fail("the parent %ld is gone", parent_pid); }

    join_cgroups();
    int fds[2] = {-1, -1};
    fds[0] = open(seccomp, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fds[0] < 0) fail("seccomp: open %s", seccomp);
    fds[0] = park(fds[0]);
    size_t olen = 0;
    for (long i = 0; i < nopts; i++) olen += strlen(options[i]) + 1;
    fds[1] = park(memfd_with("s4j-bwrap-options", nopts ? options[0] : "", olen));
    /* opened before the staging tmpfs covers /tmp, where an unusual bwrap could lie */
    int bwrap_fd = open(bwrap, O_PATH | O_CLOEXEC);
    if (bwrap_fd < 0) fail("open %s", bwrap);
    bwrap_fd = park(bwrap_fd);

    if (root && setgroups(0, NULL) < 0) fail("setgroups"); /* nothing of root's groups may reach bwrap or the sandbox */
    stage(root);
    if (root) {
        int userns = make_userns();
        if (setns(userns, CLONE_NEWUSER) < 0) fail("join the sandbox's user namespace");
        close(userns);
        /* as in s4j-launch.c: nothing here leaves the namespace's uid 0, so every capability in it is kept until exec */
        if (setresgid(gid, gid, gid) < 0) fail("setresgid %ld in the user namespace", gid);
        if (setresuid(uid, uid, uid) < 0) fail("setresuid %ld in the user namespace", uid);
    }
    lower_rlimits();
    new_session_keyring(); /* as the sandbox's user: bwrap and the command inherit it, not the JVM's */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) fail("PR_SET_PDEATHSIG");
    if (parent_pid >= 0 && getppid() != parent_pid) _exit(137); /* the JVM died meanwhile: so do we */

    static const int targets[2] = {SECCOMP_FD, OPTIONS_FD};
    for (int i = 0; i < 2; i++)
        if (fds[i] >= 0) place(fds[i], targets[i]);
    static char *bargv[2 * MAX_LIST + 64];
    int n = 0;
    bargv[n++] = (char *) "bwrap";
    bargv[n++] = (char *) "--args";
    bargv[n++] = (char *) "4";
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
        syscall(SYS_execveat, bwrap_fd, "", bargv, empty, AT_EMPTY_PATH);
        fail("exec %s", bwrap);
    }
    close(bwrap_fd);
    reap_below(child);
}

/*
 * The launcher's last role: keeps none of bwrap's fds (so EOF on the JVM's pipes comes from the sandbox
 * alone), reaps bwrap and every orphan re-parented to us, then exits with bwrap's status (128 + the signal
 * when a signal ended it, as the JVM reports a signalled child).
 */
static _Noreturn void reap_below(pid_t bwrap) {
    for (int fd = 0; fd <= OPTIONS_FD; fd++) close(fd);
    int code = FAIL_STATUS, st;
    for (;;) {
        pid_t p = waitpid(-1, &st, 0);
        if (p < 0 && errno == EINTR) continue;
        if (p < 0) break; /* ECHILD: nothing is left below us */
        if (p == bwrap) code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    }
    _exit(code);
}
