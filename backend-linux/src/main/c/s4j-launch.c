/*
 * s4j-launch: the zero-install launcher of sandbox4j's "namespaces" backend. Fixed flags, checked strictly:
 *   s4j-launch --args FILE   the flags below, NUL-separated, from a file deleted once read (no value of the
 *                            environment shows in the host's process list); or on the command line:
 *   s4j-launch --user U:G:HU:HG --seccomp BPF-FILE --chdir DIR [OPTION]... [VIEW]... -- PROGRAM [ARG]...
 * --user: the command runs as U:G inside a user namespace that maps exactly that uid and gid to the host's
 *   HU:HG (the sandbox's own host ids). A launcher that is not root can map only its own ids (HU:HG must be
 *   its euid and egid). --seccomp: the program the Java side compiled from the one syscall table, loaded
 *   last before the exec, always.
 * OPTION: --parent-pid PID (end with the JVM; must be our parent)  --cgroup-procs FILE (repeatable; a v1 "tasks" gets 0)
 *   --idmap FU:FG:TU:TG (root only: the _OWN binds show host FU:FG's files as TU:TG's, and store what TU:TG
 *   writes as FU:FG's)  --join-ns PID (not root: first join the user and mount namespaces of PID, the
 *   holder of the disk storage, where the sandbox's paths are resolved)  --net none|loopback|host
 *   --hostname NAME  --disable-userns
 *   --setenv NAME=VALUE (the whole environment)  --rlimit NAME=N (as core cpu data fsize memlock nofile nproc
 *   stack; only lowered)  --keep-cap N (repeatable)  --keep-all-caps
 * VIEW, in order on an empty root: --ro-bind|--bind|--dev-bind DEV:INO SRC DST (recursive; nosuid, nodev but
 *   for --dev-bind)  --ro-bind-own|--bind-own DEV:INO SRC DST (idmapped with --idmap)  --tmpfs DST BYTES MODE
 *   --proc DST  --dev DST  --symlink TARGET DST  --dir DST MODE (an empty directory on the root)  --hide DST
 *   --remount-ro DST
 *   Every bind source is pinned: SRC must resolve, without following any symbolic link, to the object whose
 *   st_dev:st_ino is DEV:INO (what the JVM pinned when the sandbox was built); otherwise nothing runs and the
 *   launch fails naming SRC (open_pinned in s4j-view.c). A source is never mounted by name.
 *   s4j-launch --guard --seccomp BPF-FILE -- PROGRAM [ARG]...   see guard_main
 *   s4j-launch --standby [--parent-pid PID] [--cgroup-procs FILE]...   started ahead of its exec: joins the
 *                            cgroups now, then reads the path of the --args FILE from stdin (see standby_wait)
 *   s4j-launch --bwrap FILE | --bwrap-standby [--parent-pid PID] [--cgroup-procs FILE]...   see s4j-bwrap.c
 *   s4j-launch --build-root FILE   the chroot and nspawn backends' root file system and its holder: see s4j-root.c
 * L (this process) joins the cgroups and makes the namespaces:
 *   as root, it verifies and clones the bind sources in the host's mount namespace (a 0700 workspace stays
 *   reachable, and idmapping a host file system takes root there), then unshares a user namespace while
 *   still root, so that root owns it; a helper it forked before, still root in the host's user namespace,
 *   writes the maps from outside. It never changes to the sandbox's host uid first: a user namespace is
 *   owned by its creator's euid, and a host process of the owner's uid could enter it and reach the
 *   sandbox's mounts through /proc/PID/root. Then the other namespaces, which that user namespace owns;
 *   not root, it unshares every namespace at once and maps its own ids, then verifies and clones the sources
 *   in the new mount namespace (an fd resolved in another mount namespace cannot be cloned: EINVAL);
 *   then it forks C, prints "S4J-PID <C's host pid>", exits with the command's status (or 125 after
 *   "S4J-FAIL <step>: <error>" on stdout and "s4j-launch: ..." on stderr), and kills C when the JVM ends (a
 *   pidfd: PR_SET_PDEATHSIG would fire when the spawning *thread* ends).
 * C is pid 1: builds the root (s4j-view.c), network, rlimits, drops every privilege, forks D and reaps
 *   orphans; when D exits it hands the status to L and stays, without PR_SET_PDEATHSIG, while a daemon
 *   lives; killing it ends the namespace (it also ends when the JVM does).
 * D is the command: new session, chdir, fds >= 3 close on exec, a new anonymous session keyring (none of the
 *   JVM's keys possessed), the seccomp program, "S4J-OK", exec (127 or
 *   126 with a shell's message when the program cannot be found or run).
 */
#include "s4j-launch.h"

extern char **environ;

struct op ops[MAX_LIST];
const char *cgroup_files[MAX_LIST];
static const char *envs[MAX_LIST];
int nops, disable_userns, ncgroups, bwrap_mode;
static int nenvs, nlimits, nkeep, keep_all_caps;
static struct { int resource; rlim_t value; } limits[16];
static int keep_caps[64];
long uid = -1, gid = -1, host_uid = -1, host_gid = -1, parent_pid = -1;
long idmap_from_uid = -1, idmap_from_gid = -1, idmap_to_uid = -1, idmap_to_gid = -1, join_pid = -1;
static const char *net = "none", *hostname, *seccomp_path, *workdir;
static char **command;
static struct sock_fprog seccomp_prog;
static int report_fd = -1;           /* in C and D: the pipe to L that carries a setup failure */
static int jvm_fd = -1;              /* in C: a pidfd of the process --parent-pid names */
static char *args_start, *args_end;  /* our original argv strings, which /proc/PID/cmdline shows */

void fail(const char *fmt, ...) {
    int err = errno;
    char step[1024], msg[1400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(step, sizeof step, fmt, ap);
    va_end(ap);
    snprintf(msg, sizeof msg, "%s: %s", step, err ? strerror(err) : "failed");
    if (report_fd >= 0) {
        if (write(report_fd, msg, strlen(msg)) < 0) { /* L then reports the bare exit status */ }
        _exit(FAIL_STATUS);
    }
    if (!bwrap_mode) dprintf(STDOUT_FILENO, "S4J-FAIL %s\n", msg); /* under bwrap, stdout is the command's */
    dprintf(STDERR_FILENO, "s4j-launch: %s\n", msg);
    exit(FAIL_STATUS);
}

void usage(const char *what, const char *arg) {
    errno = EINVAL;
    fail("arguments: %s '%s' (see the head of s4j-launch.c)", what, arg ? arg : "");
}

long number(const char *s, int base, long max) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, base);
    if (errno || *s == '\0' || *end != '\0' || v < 0 || v > max) usage("not a number in range", s);
    return v;
}

const char *abs_path(const char *s) {
    size_t n = strlen(s);
    if (s[0] != '/' || strstr(s, "/../") || (n >= 3 && !strcmp(s + n - 3, "/..")) || n >= 3500)
        usage("not an absolute, normal path", s);
    return s;
}

static const struct { const char *name; int resource; } rlimit_names[] = {
    {"as", RLIMIT_AS}, {"core", RLIMIT_CORE}, {"cpu", RLIMIT_CPU}, {"data", RLIMIT_DATA}, {"fsize", RLIMIT_FSIZE},
    {"memlock", RLIMIT_MEMLOCK}, {"nofile", RLIMIT_NOFILE}, {"nproc", RLIMIT_NPROC}, {"stack", RLIMIT_STACK},
};

void rlimit_arg(const char *spec) {
    const char *eq = strchr(spec, '=');
    size_t k, n = sizeof rlimit_names / sizeof rlimit_names[0];
    for (k = 0; eq && k < n; k++)
        if (strlen(rlimit_names[k].name) == (size_t) (eq - spec) && !strncmp(spec, rlimit_names[k].name, eq - spec)) break;
    if (!eq || k == n || nlimits == 16) usage("--rlimit takes NAME=N, not", spec);
    limits[nlimits].resource = rlimit_names[k].resource;
    limits[nlimits++].value = (rlim_t) number(eq + 1, 10, 0x7fffffffffffffffL);
}

/* Four numbers "A:B:C:D" (each 0 to 2^32 - 2) into out. */
static void four_ids(const char *what, const char *spec, long out[4]) {
    char copy[128], *save = NULL, *tok = copy;
    if (strlen(spec) >= sizeof copy) usage(what, spec);
    strcpy(copy, spec);
    for (int k = 0; k < 4; k++, tok = NULL) {
        char *t = strtok_r(tok, ":", &save);
        if (!t) usage(what, spec);
        out[k] = number(t, 10, 0xfffffffeL);
    }
    if (strtok_r(NULL, ":", &save)) usage(what, spec);
}

void user_arg(const char *spec) {
    long v[4];
    four_ids("--user takes UID:GID:HOSTUID:HOSTGID, not", spec, v);
    uid = v[0], gid = v[1], host_uid = v[2], host_gid = v[3];
}

void idmap_arg(const char *spec) {
    long v[4];
    four_ids("--idmap takes FROMUID:FROMGID:TOUID:TOGID, not", spec, v);
    idmap_from_uid = v[0], idmap_from_gid = v[1], idmap_to_uid = v[2], idmap_to_gid = v[3];
}

void pin_arg(struct op *o, const char *spec) {
    char *end;
    errno = 0;
    o->dev = strtoull(spec, &end, 10);
    if (errno || end == spec || *end != ':') usage("a bind's pin is DEV:INO (decimal st_dev and st_ino), not", spec);
    const char *ino = end + 1;
    o->ino = strtoull(ino, &end, 10);
    if (errno || end == ino || *end) usage("a bind's pin is DEV:INO (decimal st_dev and st_ino), not", spec);
}

int view_arg(int argc, char **argv, int i) {
    /* values: a bind DEV:INO SRC DST, --symlink TARGET DST, --tmpfs DST BYTES MODE, --dir DST MODE, the others DST */
    static const struct { const char *flag; enum kind kind; int paths; } view[] = {
        {"--bind", BIND, 3}, {"--ro-bind", RO_BIND, 3}, {"--dev-bind", DEV_BIND, 3}, {"--bind-own", BIND_OWN, 3},
        {"--ro-bind-own", RO_BIND_OWN, 3}, {"--symlink", SYMLINK, 2}, {"--tmpfs", TMPFS, 3}, {"--proc", PROC, 1},
        {"--dev", DEV, 1}, {"--hide", HIDE, 1}, {"--remount-ro", REMOUNT_RO, 1}, {"--dir", EMPTY_DIR, 2}};
    const char *f = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    size_t k = 0;
    while (k < sizeof view / sizeof view[0] && strcmp(f, view[k].flag)) k++;
    if (k == sizeof view / sizeof view[0]) return -1;
    int n = view[k].paths;
    if (i + n >= argc) usage("missing values after", f);
    if (nops == MAX_LIST) usage("too many file-system operations at", f);
    struct op *o = &ops[nops++];
    if (view[k].kind <= RO_BIND_OWN) {
        *o = (struct op){view[k].kind, abs_path(argv[i + 2]), abs_path(argv[i + 3]), NULL, 0, 0, 0, 0, -1, 0};
        pin_arg(o, v);
    } else {
        *o = (struct op){view[k].kind, view[k].kind == SYMLINK ? v : abs_path(v),
                n == 2 && view[k].kind == SYMLINK ? abs_path(argv[i + 2]) : NULL, NULL, 0, 0, 0, 0, -1, 0};
    }
    if (o->kind == TMPFS) {
        o->size = (unsigned long long) number(argv[i + 2], 10, 0x7fffffffffffffffL);
        o->mode = (unsigned) number(argv[i + 3], 8, 07777);
    }
    if (o->kind == EMPTY_DIR) o->mode = (unsigned) number(argv[i + 2], 8, 07777);
    return n;
}

static void parse(int argc, char **argv) {
    int i = 1;
    for (; i < argc && strcmp(argv[i], "--"); i++) {
        const char *f = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int n = view_arg(argc, argv, i);
        if (n >= 0) {
            i += n;
            continue;
        }
        if (!strcmp(f, "--keep-all-caps")) { keep_all_caps = 1; continue; }
        if (!strcmp(f, "--disable-userns")) { disable_userns = 1; continue; }
        if (!v) usage("missing value after", f);
        i++;
        if (!strcmp(f, "--parent-pid")) parent_pid = number(v, 10, 1L << 30);
        else if (!strcmp(f, "--user")) user_arg(v);
        else if (!strcmp(f, "--idmap")) idmap_arg(v);
        else if (!strcmp(f, "--join-ns")) join_pid = number(v, 10, 1L << 30);
        else if (!strcmp(f, "--hostname")) hostname = v;
        else if (!strcmp(f, "--seccomp")) seccomp_path = abs_path(v);
        else if (!strcmp(f, "--chdir")) workdir = abs_path(v);
        else if (!strcmp(f, "--rlimit")) rlimit_arg(v);
        else if (!strcmp(f, "--net")) {
            if (strcmp(v, "none") && strcmp(v, "loopback") && strcmp(v, "host")) usage("--net takes none, loopback or host, not", v);
            net = v;
        } else if (!strcmp(f, "--keep-cap")) {
            if (nkeep == 64) usage("too many --keep-cap at", v);
            keep_caps[nkeep++] = (int) number(v, 10, 63);
        } else if (!strcmp(f, "--cgroup-procs")) {
            if (ncgroups == MAX_LIST) usage("too many --cgroup-procs at", v);
            cgroup_files[ncgroups++] = abs_path(v);
        } else if (!strcmp(f, "--setenv")) {
            if (nenvs == MAX_LIST - 1 || !strchr(v, '=') || v[0] == '=') usage("--setenv takes NAME=VALUE (at most 510), not", v);
            envs[nenvs++] = v;
        } else usage("unknown flag", f);
    }
    if (i >= argc - 1) usage("no command after", "--");
    if (uid < 0 || !seccomp_path || !workdir) usage("--user, --seccomp and --chdir are required", "");
    command = argv + i + 1;
}

/* Appends what fd has to buf (at most max); 0 at EOF or on an error. */
static int drain(int fd, char *buf, size_t *len, size_t max) {
    ssize_t n = *len < max ? read(fd, buf + *len, max - *len) : 0;
    if (n > 0) *len += (size_t) n;
    return n > 0;
}

/* The whole of a small file. */
size_t slurp(const char *path, char *buf, size_t max, const char *what) {
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    size_t len = 0;
    if (fd < 0) fail("%s: open %s", what, path);
    for (ssize_t n; (n = read(fd, buf + len, max - len)) != 0; len += (size_t) n)
        if (n < 0 || len + (size_t) n == max) { if (n >= 0) errno = E2BIG; fail("%s: read %s", what, path); }
    close(fd);
    return len;
}

int read_args(const char *path, char **args, int first, int max) {
    static char buf[1 << 20];
    size_t len = slurp(abs_path(path), buf, sizeof buf - 1, "arguments");
    int argc = first;
    if (unlink(path) < 0) fail("arguments: unlink %s", path);
    if (len == 0 || buf[len - 1] != '\0') usage("the arguments must each end with a NUL byte in", path);
    for (size_t at = 0; at < len; at += strlen(buf + at) + 1) {
        if (argc == max - 1) usage("too many arguments in", path);
        args[argc++] = buf + at;
    }
    args[argc] = NULL;
    return argc;
}

/* --args FILE: the real arguments, NUL-separated, from a file that we delete at once. */
static void parse_file(const char *path) {
    static char *argv[2 * MAX_LIST + 64] = {"s4j-launch"};
    parse(read_args(path, argv, 1, sizeof argv / sizeof argv[0]), argv);
}

void write_file(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) fail("open %s", path);
    if (write(fd, text, strlen(text)) != (ssize_t) strlen(text)) fail("write %s to %s", text, path);
    if (close(fd) < 0) fail("close %s", path);
}

/* One line "inside outside 1" into /proc/PID/uid_map or gid_map. */
void write_map(const char *pid, const char *file, long inside, long outside) {
    char path[96], map[64];
    snprintf(path, sizeof path, "/proc/%s/%s", pid, file);
    snprintf(map, sizeof map, "%ld %ld 1\n", inside, outside);
    write_file(path, map);
}

void join_storage(void) {
    char path[64];
    int fds[2];
    const char *ns[2] = {"user", "mnt"};
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "/proc/%ld/ns/%s", join_pid, ns[i]);
        fds[i] = open(path, O_RDONLY | O_CLOEXEC);
        if (fds[i] < 0) fail("join the disk storage's namespaces: open %s", path);
    }
    if (setns(fds[0], CLONE_NEWUSER) < 0) fail("join the disk storage's user namespace (process %ld)", join_pid);
    if (setns(fds[1], CLONE_NEWNS) < 0) fail("join the disk storage's mount namespace (process %ld)", join_pid);
    close(fds[0]);
    close(fds[1]);
    /* our own ids as that namespace sees them (its root): what a nested user namespace of ours maps to */
    host_uid = geteuid();
    host_gid = getegid();
}

void write_maps(const char *pid) {
    char path[96];
    snprintf(path, sizeof path, "/proc/%s/setgroups", pid);
    write_file(path, "deny");
    write_map(pid, "uid_map", uid, host_uid);
    write_map(pid, "gid_map", gid, host_gid);
}

/*
 * As root: moves us into a new user namespace that root owns. A helper forked while we are still root in
 * the host's user namespace waits until we unshared, then writes our maps from outside (from inside, a
 * map could name only our own euid: root); it reports a failure itself ("S4J-FAIL ..."), and we then exit.
 */
static void enter_userns_as_root(void) {
    int go[2];
    if (pipe2(go, O_CLOEXEC) < 0) fail("userns: pipe");
    pid_t helper = fork();
    if (helper < 0) fail("userns: fork the map writer");
    if (helper == 0) {
        char c, pid[24];
        close(go[1]);
        if (read(go[0], &c, 1) != 1) _exit(FAIL_STATUS); /* we did not unshare: nothing to map */
        snprintf(pid, sizeof pid, "%d", (int) getppid());
        write_maps(pid);
        _exit(0);
    }
    close(go[0]);
    if (unshare(CLONE_NEWUSER) < 0) {
        kill(helper, SIGKILL);
        fail("unshare a user namespace (user namespaces: sysctl user.max_user_namespaces)");
    }
    if (write(go[1], "g", 1) != 1) fail("userns: wake the map writer");
    close(go[1]);
    int st;
    while (waitpid(helper, &st, 0) < 0)
        if (errno != EINTR) fail("userns: wait for the map writer");
    if (!WIFEXITED(st) || WEXITSTATUS(st)) _exit(FAIL_STATUS); /* it reported the failure */
}

void read_seccomp(const char *path, struct sock_fprog *out) {
    static struct sock_filter prog[BPF_MAXINSNS + 1];
    size_t len = slurp(path, (char *) prog, sizeof prog, "seccomp");
    if (len == 0 || len % sizeof prog[0]) { errno = EINVAL; fail("seccomp: %s holds %zu bytes, not a BPF program", path, len); }
    out->len = (unsigned short) (len / sizeof prog[0]);
    out->filter = prog;
}

static void loopback_up(void) {
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) fail("loopback: socket");
    struct ifreq ifr = {0};
    strcpy(ifr.ifr_name, "lo");
    if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) fail("loopback: SIOCGIFFLAGS lo");
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) fail("loopback: SIOCSIFFLAGS lo up");
    close(s);
}

void lower_rlimits(void) {
    for (int i = 0; i < nlimits; i++) {
        struct rlimit rl;
        if (getrlimit(limits[i].resource, &rl) < 0) fail("getrlimit %d", limits[i].resource);
        rlim_t v = limits[i].value < rl.rlim_max ? limits[i].value : rl.rlim_max; /* only ever lower */
        rl.rlim_cur = rl.rlim_max = v;
        if (setrlimit(limits[i].resource, &rl) < 0) fail("setrlimit %d to %llu", limits[i].resource, (unsigned long long) v);
    }
}

static int kept(int cap) {
    for (int i = 0; i < nkeep; i++) if (keep_caps[i] == cap) return 1;
    return 0;
}

/* Ids, then capabilities (bounding, ambient, the three sets), then no_new_privs: nothing can come back. */
static void drop_privileges(void) {
    if (!keep_all_caps) {
        for (int cap = 0; cap < 64; cap++) {
            if (kept(cap)) continue;
            if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
                if (errno == EINVAL) break; /* past the kernel's last capability */
                fail("drop capability %d from the bounding set", cap);
            }
        }
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) fail("clear the ambient capabilities");
    }
    if (setresgid(gid, gid, gid) < 0) fail("setresgid %ld", gid);
    if (setresuid(uid, uid, uid) < 0) fail("setresuid %ld", uid);
    if (!keep_all_caps) {
        struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
        struct __user_cap_data_struct data[2] = {{0, 0, 0}, {0, 0, 0}};
        for (int i = 0; i < nkeep; i++) {
            unsigned bit = 1u << (keep_caps[i] % 32);
            data[keep_caps[i] / 32].effective |= bit;
            data[keep_caps[i] / 32].permitted |= bit;
            data[keep_caps[i] / 32].inheritable |= bit;
        }
        if (syscall(SYS_capset, &hdr, data) < 0) fail("capset");
        for (int i = 0; i < nkeep; i++)
            if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, keep_caps[i], 0, 0) < 0) fail("keep capability %d", keep_caps[i]);
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) fail("PR_SET_NO_NEW_PRIVS");
}

/*
 * A new anonymous session keyring of the caller's user: a session keyring is inherited across fork and exec,
 * and its possessor has the possessor's rights to every key in it whatever the key's owner, so without this
 * the command would possess the JVM's (a user namespace changes nothing there). Before the seccomp program,
 * which denies keyctl under the default profile. A kernel without keyrings (ENOSYS) has nothing to leak.
 */
void new_session_keyring(void) {
    if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, 0L, 0L, 0L, 0L) < 0 && errno != ENOSYS)
        fail("join a new anonymous session keyring");
}

/* D: the command. */
static void run_command(void) {
    sigset_t none;
    sigemptyset(&none);
    if (sigprocmask(SIG_SETMASK, &none, NULL) < 0) fail("sigprocmask");
    for (int s = 1; s < NSIG; s++) signal(s, SIG_DFL); /* fails harmlessly for SIGKILL, SIGSTOP, glibc's own */
    if (setsid() < 0) fail("setsid");
    if (chdir(workdir) < 0) fail("chdir %s", workdir);
    if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0) fail("close_range");
    new_session_keyring();
    /* the one syscall table's program: the policy's rules, the set-id guard, the network's; always */
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &seccomp_prog, 0, 0) < 0) fail("load the seccomp program");
    static const char ok[] = "S4J-OK\n";
    if (write(STDOUT_FILENO, ok, sizeof ok - 1) != (ssize_t) (sizeof ok - 1)) _exit(FAIL_STATUS);
    environ = (char **) envs; /* execvp searches the sandbox's PATH, not ours */
    execvp(command[0], command);
    int err = errno;
    if (err == ENOENT && !strchr(command[0], '/')) dprintf(STDERR_FILENO, "%s: command not found\n", command[0]);
    else dprintf(STDERR_FILENO, "%s: %s\n", command[0], strerror(err));
    _exit(err == ENOENT ? 127 : 126);
}

/*
 * C: pid 1 of the sandbox. It reaps every orphan; when the command exits it passes the status to L (which
 * exits with it) and stays, without PR_SET_PDEATHSIG, while anything else lives in the namespace: a
 * daemon lives until it ends, the JVM ends, or close() kills this process (and so the namespace).
 */
static void run_init(int alive_r, int status_w) {
    char go;
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) fail("PR_SET_PDEATHSIG");
    if (read(alive_r, &go, 1) != 1) _exit(FAIL_STATUS); /* L has printed our pid, or is gone */
    close(alive_r);
    build_root();
    if (!strcmp(net, "loopback")) loopback_up();
    if (hostname && sethostname(hostname, strlen(hostname)) < 0) fail("sethostname %s", hostname);
    lower_rlimits();
    drop_privileges();
    /* not dumpable: the sandbox may not read /proc/1/exe (a host path), environ or mem; the command is, after exec */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) fail("PR_SET_DUMPABLE");
    memset(args_start, 0, args_end - args_start); /* the sandbox can read /proc/1/cmdline: no host path in it */
    strcpy(args_start, "s4j-init");
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    int sfd = sigprocmask(SIG_BLOCK, &chld, NULL) < 0 ? -1 : signalfd(-1, &chld, SFD_CLOEXEC);
    if (sfd < 0) fail("signalfd SIGCHLD");
    pid_t cmd = fork();
    if (cmd < 0) fail("fork the command");
    if (cmd == 0) run_command();
    close(report_fd);
    close(0), close(1), close(2); /* only the command's processes hold the JVM's pipes: EOF when they end */
    struct pollfd fds[2] = {{sfd, POLLIN, 0}, {jvm_fd, POLLIN, 0}};
    for (;;) {
        if (poll(fds, jvm_fd >= 0 ? 2 : 1, -1) < 0 && errno != EINTR) _exit(FAIL_STATUS);
        if (jvm_fd >= 0 && fds[1].revents) _exit(137); /* the JVM is gone: the namespace goes with us */
        struct signalfd_siginfo si;
        if (fds[0].revents && read(sfd, &si, sizeof si) < 0) _exit(FAIL_STATUS);
        for (int st;;) {
            pid_t p = waitpid(-1, &st, WNOHANG);
            if (p == 0) break;
            if (p < 0) _exit(0); /* ECHILD: nothing is left in the namespace */
            if (p == cmd) {
                if (prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0) < 0) _exit(FAIL_STATUS);
                dprintf(status_w, "%d", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
                close(status_w);
            }
        }
    }
}

/*
 * s4j-launch --guard --seccomp BPF-FILE -- PROGRAM [ARG]...: the chroot and nspawn backends' last step
 * before the command, run as the sandbox's user inside its root (which shows this binary and the program
 * read-only): a new anonymous session keyring, then no_new_privs, then the program (the one syscall table's:
 * the policy's rules, the set-id guard and the network's rules), then execv PROGRAM (a path) with the
 * environment and working directory as they are. What the sandbox creates in an idmapped read-write mount
 * belongs to the host's root, so the set-id guard must hold there too; without a program nothing runs. The
 * keyring: a session keyring is inherited across fork and exec and its possessor has every right to its keys
 * whatever their owner, so the command would otherwise possess the JVM's (chroot) or the root-owned one that
 * systemd-nspawn makes (nspawn); a fresh one belongs to the sandbox's user and holds nothing (keyctl is in the
 * default deny list, so this comes before the program). A failure exits 125 with "s4j-launch: ..." on stderr.
 */
static void guard_main(int argc, char **argv) {
    bwrap_mode = 1; /* stdout is the command's: a failure goes to stderr only */
    if (argc < 6 || strcmp(argv[2], "--seccomp") || strcmp(argv[4], "--"))
        usage("--guard takes --seccomp FILE -- PROGRAM [ARG]..., not", argc > 2 ? argv[2] : "");
    read_seccomp(abs_path(argv[3]), &seccomp_prog);
    new_session_keyring();
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) fail("PR_SET_NO_NEW_PRIVS");
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &seccomp_prog, 0, 0) < 0) fail("load the seccomp program");
    execv(argv[5], argv + 5);
    int err = errno;
    dprintf(STDERR_FILENO, "%s: %s\n", argv[5], strerror(err));
    _exit(err == ENOENT ? 127 : 126);
}

void join_cgroups(void) {
    char self[32];
    snprintf(self, sizeof self, "%d\n", getpid());
    for (int i = 0; i < ncgroups; i++) {
        /* v1 "tasks" with 0 moves the calling thread (we have no other) without taking cgroup_threadgroup_rwsem
         * for writing, so without an RCU grace period; a pid, or any cgroup.procs, costs one (CgroupSandbox.joinFiles) */
        const char *base = strrchr(cgroup_files[i], '/');
        write_file(cgroup_files[i], base && !strcmp(base, "/tasks") ? "0\n" : self);
    }
}

const char *standby_wait(int argc, char **argv) {
    for (int i = 2; i < argc; i += 2) {
        if (i + 1 >= argc) usage("missing value after", argv[i]);
        if (!strcmp(argv[i], "--parent-pid")) parent_pid = number(argv[i + 1], 10, 1L << 30);
        else if (!strcmp(argv[i], "--cgroup-procs")) {
            if (ncgroups == MAX_LIST) usage("too many --cgroup-procs at", argv[i + 1]);
            cgroup_files[ncgroups++] = abs_path(argv[i + 1]);
        } else usage("unknown flag", argv[i]);
    }
    if (parent_pid >= 0 && getppid() != parent_pid) _exit(137);
    join_cgroups();
    ncgroups = 0; /* joined: the arguments file names none, and joining again would cost another grace period */
    static char path[4096];
    size_t n = 0;
    for (;;) {
        char c;
        ssize_t r = read(STDIN_FILENO, &c, 1);
        if (r < 0 && errno == EINTR) continue;
        if (r == 0) _exit(0);
        if (r < 0) fail("standby: read the arguments' path from stdin");
        if (c == '\n') break;
        if (n == sizeof path - 1) { errno = ENAMETOOLONG; fail("standby: the arguments' path"); }
        path[n++] = c;
    }
    path[n] = 0;
    return abs_path(path);
}

int main(int argc, char **argv) {
    if (argc >= 2 && !strcmp(argv[1], "--guard")) guard_main(argc, argv);
    if (argc >= 2 && !strcmp(argv[1], "--bwrap-standby")) {
        bwrap_mode = 1;
        bwrap_standby_main(argc, argv);
    }
    if (argc == 3 && !strcmp(argv[1], "--bwrap")) {
        bwrap_mode = 1;
        bwrap_main(argv[2]); /* before anything here changes what bwrap would inherit (SIGPIPE) */
    }
    signal(SIGPIPE, SIG_IGN);
    if (argc == 3 && !strcmp(argv[1], "--build-root")) build_root_main(argv[2]); /* s4j-root.c */
    args_start = argv[0];
    args_end = argv[argc - 1] + strlen(argv[argc - 1]) + 1;
    envs[0] = NULL;
    if (argc >= 2 && !strcmp(argv[1], "--standby")) parse_file(standby_wait(argc, argv)); /* as --args, cgroups joined */
    else if (argc == 3 && !strcmp(argv[1], "--args")) parse_file(argv[2]);
    else { /* parse copies, so that pid 1 can wipe the originals */
        static char *copy[2 * MAX_LIST + 64];
        if ((size_t) argc >= sizeof copy / sizeof copy[0]) usage("too many arguments at", argv[0]);
        for (int i = 0; i < argc; i++) if (!(copy[i] = strdup(argv[i]))) fail("strdup");
        parse(argc, copy);
    }
    envs[nenvs] = NULL;
    int parent = -1;
    if (parent_pid >= 0) {
        parent = (int) syscall(SYS_pidfd_open, (pid_t) parent_pid, 0);
        if (parent < 0) fail("watch the parent %ld", parent_pid);
        if (getppid() != parent_pid) { errno = ESRCH; fail("the parent %ld is gone", parent_pid); }
    }
    join_cgroups();
    read_seccomp(seccomp_path, &seccomp_prog);
    int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP;
    if (strcmp(net, "host")) flags |= CLONE_NEWNET;
    if (geteuid() == 0) {
        if (join_pid >= 0) { errno = EPERM; fail("--join-ns is for a launcher that is not root (a root JVM's storage is the host's)"); }
        if (host_uid == 0 || host_gid == 0) {
            errno = EPERM;
            fail("--user %ld:%ld:%ld:%ld maps the sandbox to the host's root; give the sandbox's own host ids", uid, gid, host_uid, host_gid);
        }
        if (setgroups(0, NULL) < 0) fail("setgroups"); /* nothing of root's groups may reach the sandbox */
        clone_sources();
        enter_userns_as_root();
        /*
         * Inside it, as its uid: our host uid 0 is not mapped there, and a file system mounted in the sandbox's
         * namespaces refuses to create a file for an unmapped fsuid (EOVERFLOW). We keep every capability in it:
         * a change of ids drops them only when it leaves the namespace's uid 0, which our host root is not. The
         * namespace stays root's: ownership is fixed when it is made.
         */
        if (setresgid(gid, gid, gid) < 0) fail("setresgid %ld in the user namespace", gid);
        if (setresuid(uid, uid, uid) < 0) fail("setresuid %ld in the user namespace", uid);
        if (unshare(flags) < 0) fail("unshare the namespaces");
    } else {
        if (host_uid != (long) geteuid() || host_gid != (long) getegid()) {
            errno = EPERM;
            fail("--user maps to the host ids %ld:%ld, but a launcher that is not root can map only its own, %d:%d", host_uid, host_gid,
                    (int) geteuid(), (int) getegid());
        }
        if (idmap_from_uid >= 0) { errno = EPERM; fail("--idmap needs root (an idmapped mount of a host file system)"); }
        if (join_pid >= 0) join_storage();
        if (unshare(CLONE_NEWUSER | flags) < 0) fail("unshare (user namespaces: sysctl user.max_user_namespaces)");
        write_maps("self");
        clone_sources();
    }
    int report[2], alive[2], status[2];
    if (pipe2(report, O_CLOEXEC) < 0 || pipe2(alive, O_CLOEXEC) < 0 || pipe2(status, O_CLOEXEC) < 0) fail("pipe");
    pid_t init = fork();
    if (init < 0) fail("fork pid 1");
    if (init == 0) {
        close(report[0]);
        close(alive[1]);
        close(status[0]);
        report_fd = report[1];
        jvm_fd = parent;
        run_init(alive[0], status[1]);
    }
    close(report[1]);
    close(alive[0]);
    close(status[1]);
    int child = (int) syscall(SYS_pidfd_open, init, 0);
    /* C's host pid comes first on stdout: close() kills it to end a namespace that outlives us */
    if (child < 0 || dprintf(STDOUT_FILENO, "S4J-PID %d\n", init) < 0 || write(alive[1], "g", 1) != 1) {
        kill(init, SIGKILL);
        fail("start pid 1");
    }
    char msg[1500], code[16] = "";
    size_t len = 0, clen = 0;
    struct pollfd fds[4] = {{child, POLLIN, 0}, {report[0], POLLIN, 0}, {status[0], POLLIN, 0}, {parent, POLLIN, 0}};
    while (!fds[0].revents && fds[2].fd >= 0) { /* until pid 1 ends or hands over the command's status */
        if (poll(fds, parent >= 0 ? 4 : 3, -1) < 0 && errno != EINTR) fds[3].revents = POLLERR;
        if (fds[3].revents) { /* the JVM is gone (or poll failed): take the sandbox with it */
            kill(init, SIGKILL);
            _exit(137);
        }
        if (fds[1].revents && !drain(report[0], msg, &len, sizeof msg - 1)) fds[1].fd = -1;
        if (fds[2].revents && !drain(status[0], code, &clen, sizeof code - 1)) fds[2].fd = -1;
    }
    if (fcntl(report[0], F_SETFL, O_NONBLOCK) < 0) fail("fcntl");
    while (fds[1].fd >= 0 && drain(report[0], msg, &len, sizeof msg - 1)) {}
    if (len > 0) { /* a setup step failed: nothing ran */
        kill(init, SIGKILL);
        msg[len] = '\0';
        dprintf(STDOUT_FILENO, "S4J-FAIL %s\n", msg);
        dprintf(STDERR_FILENO, "s4j-launch: %s\n", msg);
        return FAIL_STATUS;
    }
    if (clen > 0) {
        /*
         * The command's status is in. Pid 1 exits right after it when nothing else runs in the namespace:
         * reap it then. Left to the host's init it stayed a zombie until that init got round to it (this
         * host's: about every 1.5 s; a container whose PID 1 is the JVM: never), counted against pids.max,
         * and a loop of quick execs failed with EAGAIN after pids.max of them. A pid 1 that keeps running
         * for what the command left behind goes on without us after this bounded wait, as before.
         */
        struct pollfd gone = {child, POLLIN, 0};
        if (poll(&gone, 1, PID1_GRACE_MS) > 0) waitpid(init, NULL, 0);
        return atoi(code);
    }
    int st;
    if (waitpid(init, &st, 0) < 0) fail("waitpid pid 1");
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
