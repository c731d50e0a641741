/*
 * s4j-root.c: "s4j-launch --build-root FILE", the root file system of a chroot or nspawn sandbox, built once
 * when the sandbox is built and held for its life by this process (the holder). As root:
 *   1. reads FILE (NUL-separated, deleted at once) and starts a session of its own (a terminal's Ctrl-C to
 *      the JVM does not stop it before it has cleaned up);
 *   2. makes a mount namespace of its own (and, with --net none, a network namespace with only its loopback,
 *      down), a slave of the host's: nothing mounted in it reaches the host, and what the host unmounts (another
 *      sandbox's disk storage, say) goes from it too instead of staying alive for this holder's life;
 *   3. verifies every bind source against its pin and clones it from the verified descriptor (clone_sources in
 *      s4j-view.c: open_pinned, then open_tree on the fd, never by name; the _own binds idmapped with --idmap);
 *   4. with --run-tmpfs, a private tmpfs on /run (systemd-nspawn keeps its locks and propagation directories
 *      there: they vanish with the namespace);
 *   5. mounts a tmpfs at ROOT and applies the operations in order on it, without pivoting: every destination
 *      is resolved inside ROOT as a process chrooted there would resolve it (openat2 RESOLVE_IN_ROOT: a link of
 *      the image, absolute or not, cannot lead a mount point out of the root), mount points are made through
 *      descriptors, and every mount is attached to a descriptor (move_mount), never to a path of the host;
 *   6. makes the root's own tmpfs read-only, prints "S4J-READY" on stdout and holds the namespace while
 *      reading stdin; at EOF (the sandbox closed, or the JVM died and the kernel closed the pipe) it kills the
 *      processes of every --cleanup-cgroup (cgroup.kill, else frozen and SIGKILLed one by one) and removes
 *      those directories and every --cleanup-dir, retrying for 5 s, and exits 0: the namespace ends with the
 *      last process in it.
 * Execs enter the holder's mount (and network) namespace with nsenter. A failure before the root is ready
 * prints "S4J-FAIL <step>: <error>" on stdout and "s4j-launch: ..." on stderr and exits 125.
 * FILE: --root ROOT [--net none|host] [--idmap FU:FG:TU:TG] [--run-tmpfs]
 *       [--cleanup-cgroup DIR]... [--cleanup-dir DIR]... VIEW...
 * VIEW, in order: --ro-bind|--bind|--ro-bind-own|--bind-own DEV:INO SRC DST  --symlink TARGET DST
 *       --tmpfs DST BYTES MODE  --dir DST MODE (an empty directory)  --hide DST  --dev-nodes DST (a tmpfs with the host's null, zero, full, random
 *       and urandom bound in it: a chroot's /dev)  --mount-point DST (an empty directory for what the engine
 *       mounts itself: nspawn's /proc, /dev, /sys, /run)  --remount-ro / (the root's tmpfs, at the end)
 * Every mount is nosuid and nodev (the device nodes are binds of their own), binds recursive unless idmapped.
 */
#include "s4j-launch.h"
#include <dirent.h>

#define ROOT_TMPFS_SIZE (16ULL << 20)
#define RUN_TMPFS_SIZE (8ULL << 20)
#define DEV_TMPFS_SIZE (64ULL << 10)
#define CLEANUP_ROUNDS 25
#define CLEANUP_PAUSE_US 200000
#define HIDDEN ".s4j-hidden" /* on the root's tmpfs while it is built: what a hidden file shows */

static const char *root_path;
static int own_net, run_tmpfs, root_fd = -1;
static const char *cleanup_cgroups[MAX_LIST], *cleanup_dirs[MAX_LIST];
static int ncleanup_cgroups, ncleanup_dirs;

static void parse_build(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        const char *f = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(f, "--proc") || !strcmp(f, "--dev") || !strcmp(f, "--dev-bind"))
            usage("--build-root takes --dev-nodes and --mount-point instead of", f);
        int n = view_arg(argc, argv, i);
        if (n >= 0) {
            struct op *o = &ops[nops - 1];
            if (o->kind == REMOUNT_RO && strcmp(o->a, "/")) usage("--build-root makes only the root read-only, not", o->a);
            i += n;
            continue;
        }
        if (!strcmp(f, "--run-tmpfs")) { run_tmpfs = 1; continue; }
        if (!v) usage("missing value after", f);
        i++;
        if (!strcmp(f, "--root")) root_path = abs_path(v);
        else if (!strcmp(f, "--idmap")) idmap_arg(v);
        else if (!strcmp(f, "--net")) {
            if (strcmp(v, "none") && strcmp(v, "host")) usage("--build-root's --net takes none or host, not", v);
            own_net = !strcmp(v, "none");
        } else if (!strcmp(f, "--dev-nodes") || !strcmp(f, "--mount-point")) {
            if (nops == MAX_LIST) usage("too many file-system operations at", f);
            ops[nops++] = (struct op){!strcmp(f, "--dev-nodes") ? DEV_NODES : MOUNT_POINT, abs_path(v), NULL, NULL, 0, 0, 0, 0, -1, 0};
        } else if (!strcmp(f, "--cleanup-cgroup")) {
            if (ncleanup_cgroups == MAX_LIST) usage("too many --cleanup-cgroup at", v);
            cleanup_cgroups[ncleanup_cgroups++] = abs_path(v);
        } else if (!strcmp(f, "--cleanup-dir")) {
            if (ncleanup_dirs == MAX_LIST) usage("too many --cleanup-dir at", v);
            cleanup_dirs[ncleanup_dirs++] = abs_path(v);
        } else usage("unknown flag", f);
    }
    if (!root_path || !strcmp(root_path, "/")) usage("--build-root needs --root DIR (not /)", root_path);
}

/*
 * An O_PATH fd of the sandbox path p in the root being built, every link on the way resolved inside it
 * (RESOLVE_IN_ROOT: an absolute target is taken from the root, ".." stops there), as the chrooted command
 * will resolve it. -1 and errno when it does not resolve.
 */
static int in_root(const char *p) {
    struct open_how how = {.flags = O_PATH | O_CLOEXEC, .mode = 0, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
    return (int) syscall(SYS_openat2, root_fd, p[1] ? p + 1 : ".", &how, sizeof how);
}

/* p's parent ("/" for a top-level path) into parent, its last component into *name. */
static void split(const char *p, char parent[4096], const char **name) {
    const char *slash = strrchr(p, '/');
    snprintf(parent, 4096, "%.*s", slash == p ? 1 : (int) (slash - p), p);
    *name = slash + 1;
}

/*
 * An O_PATH fd of the mount point dst: what the root shows there (which must be of the same kind, directory or
 * not, as what is mounted on it), or, when nothing is there, a new directory or empty file made in its parent,
 * which is made the same way first.
 */
static int point(const char *dst, int is_dir) {
    int fd = in_root(dst);
    if (fd < 0 && errno == ENOENT && strcmp(dst, "/")) {
        char parent[4096];
        const char *name;
        split(dst, parent, &name);
        int dir = point(parent, 1);
        int made = is_dir ? mkdirat(dir, name, 0755)
                : (fd = openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0444));
        if (made < 0 && errno == EEXIST) fail("mount point %s: a link that leads nowhere is in the way", dst);
        if (made < 0) fail("create the mount point %s", dst);
        if (!is_dir) close(fd);
        close(dir);
        fd = in_root(dst);
    }
    if (fd < 0) fail("mount point %s: resolve it inside the root", dst);
    struct stat st;
    if (fstat(fd, &st) < 0) fail("mount point %s: fstat", dst);
    if (!S_ISDIR(st.st_mode) != !is_dir) {
        errno = is_dir ? ENOTDIR : EISDIR;
        fail("mount point %s: the root has a %s there, and a %s is to be mounted on it", dst, is_dir ? "file" : "directory",
                is_dir ? "directory" : "file");
    }
    return fd;
}

/* Attaches the detached mount tree on the mount point fd at; closes both. */
static void attach(int tree, int at, const char *what) {
    if (syscall(SYS_move_mount, tree, "", at, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) fail("mount %s", what);
    close(tree);
    close(at);
}

/* A detached tmpfs (fsopen, fsmount) of mode and size (0: the kernel's default) with the mount attributes attrs. */
static int new_tmpfs(unsigned mode, unsigned long long size, unsigned attrs, const char *what) {
    char m[16], z[32];
    int fs = (int) syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC);
    if (fs < 0) fail("tmpfs for %s: fsopen", what);
    snprintf(m, sizeof m, "%o", mode);
    snprintf(z, sizeof z, "%llu", size);
    if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "mode", m, 0) < 0) fail("tmpfs for %s: mode %s", what, m);
    if (size && syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "size", z, 0) < 0) fail("tmpfs for %s: size %s", what, z);
    if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) fail("tmpfs for %s: create", what);
    int mnt = (int) syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, attrs);
    if (mnt < 0) fail("tmpfs for %s: fsmount", what);
    close(fs);
    return mnt;
}

/* An O_PATH fd of a host path that must have no symbolic link in it (the holder's own directories). */
static int open_plain(const char *path, const char *what) {
    struct open_how how = {.flags = O_PATH | O_DIRECTORY | O_CLOEXEC, .mode = 0, .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
    int fd = (int) syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
    if (fd < 0) fail("%s %s: open it without following links", what, path);
    return fd;
}

/* A tmpfs of a few host device nodes at dst (nodev itself: each node is a bind of its own), read-only. */
static void dev_nodes(const char *dst) {
    static const char *nodes[] = {"null", "zero", "full", "random", "urandom"};
    attach(new_tmpfs(0755, DEV_TMPFS_SIZE, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, dst), point(dst, 1), dst);
    int dev = in_root(dst);
    if (dev < 0) fail("reopen %s", dst);
    for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; i++) {
        char host[32];
        snprintf(host, sizeof host, "/dev/%s", nodes[i]);
        int f = openat(dev, nodes[i], O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0444);
        if (f < 0) fail("create the mount point %s/%s", dst, nodes[i]);
        close(f);
        int at = openat(dev, nodes[i], O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (at < 0) fail("open the mount point %s/%s", dst, nodes[i]);
        int tree = (int) syscall(SYS_open_tree, AT_FDCWD, host, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
        if (tree < 0) fail("clone %s", host);
        set_attr(tree, "", AT_EMPTY_PATH, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, 0, host);
        attach(tree, at, host);
    }
    set_attr(dev, "", AT_EMPTY_PATH, MOUNT_ATTR_RDONLY, 0, dst); /* the tmpfs itself: the nodes stay writable */
    close(dev);
}

/* What s4j-view.c's hide does, inside the root: an empty unreadable directory or file over dst. */
static void hide_in_root(const char *dst) {
    int fd = in_root(dst);
    if (fd < 0 && errno == ENOENT) return; /* nothing there to hide */
    if (fd < 0) fail("hide %s", dst);
    struct stat st;
    if (fstat(fd, &st) < 0) fail("hide %s: fstat", dst);
    unsigned ro = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
    if (S_ISDIR(st.st_mode)) {
        attach(new_tmpfs(0, 4096, ro, dst), fd, dst);
        return;
    }
    int tree = (int) syscall(SYS_open_tree, root_fd, HIDDEN, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
    if (tree < 0) fail("hide %s: clone the empty file", dst);
    set_attr(tree, "", AT_EMPTY_PATH, ro, 0, dst);
    attach(tree, fd, dst);
}

static void apply(struct op *o) {
    char what[4200];
    switch (o->kind) {
    case BIND: case RO_BIND: case BIND_OWN: case RO_BIND_OWN:
        snprintf(what, sizeof what, "bind %s on %s", o->a, o->b);
        attach(o->tree, point(o->b, o->is_dir), what);
        break;
    case TMPFS:
        attach(new_tmpfs(o->mode, o->size, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, o->a), point(o->a, 1), o->a);
        break;
    case SYMLINK: {
        char parent[4096];
        const char *name;
        split(o->b, parent, &name);
        int dir = point(parent, 1);
        if (symlinkat(o->a, dir, name) < 0) fail("symlink %s -> %s", o->b, o->a);
        close(dir);
        break;
    }
    case HIDE: hide_in_root(o->a); break;
    case DEV_NODES: dev_nodes(o->a); break;
    case MOUNT_POINT: close(point(o->a, 1)); break;
    case EMPTY_DIR: {
        /* made here by point() (never through a link: its last component is opened O_NOFOLLOW to set the mode) */
        close(point(o->a, 1));
        char parent[4096];
        const char *name;
        split(o->a, parent, &name);
        int dir = point(parent, 1);
        int fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 || fchmod(fd, o->mode) < 0) fail("directory %s: set its mode %o", o->a, o->mode);
        close(fd);
        close(dir);
        break;
    }
    case REMOUNT_RO: break; /* the root: last, once every mount point on it is made */
    case DEV_BIND: case PROC: case DEV:
        errno = EINVAL;
        fail("%s: not an operation of --build-root", o->a);
    }
}

/* A small file's content written, or nothing; never fails (the cleanup goes on whatever one step does). */
static void put(const char *dir, const char *file, const char *text) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return;
    if (write(fd, text, strlen(text)) < 0) { /* gone meanwhile: the next round looks again */ }
    close(fd);
}

static int exists(const char *dir, const char *file) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    return access(path, F_OK) == 0;
}

/* SIGKILL to every process of dir's cgroup.procs and of the cgroups below it. */
static void kill_members(const char *dir) {
    char path[4200], line[32];
    snprintf(path, sizeof path, "%s/cgroup.procs", dir);
    FILE *f = fopen(path, "re");
    if (f) {
        while (fgets(line, sizeof line, f)) {
            long pid = strtol(line, NULL, 10);
            if (pid > 0) kill((pid_t) pid, SIGKILL);
        }
        fclose(f);
    }
    DIR *d = opendir(dir);
    if (!d) return;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_type != DT_DIR || !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        kill_members(path);
    }
    closedir(d);
}

/* rmdir of dir and every directory below it, deepest first (a cgroup tree has no files to delete). */
static void remove_tree(const char *dir) {
    DIR *d = opendir(dir);
    if (d) {
        char path[4200];
        for (struct dirent *e; (e = readdir(d));) {
            if (e->d_type != DT_DIR || !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            remove_tree(path);
        }
        closedir(d);
    }
    rmdir(dir);
}

/*
 * At EOF on stdin: kills the sandbox's cgroups and removes them (and the engine's directories). After a normal
 * close the JVM did all of it already and this finds nothing; after the JVM died it is what stops the sandbox at
 * once, before any reaper runs.
 */
static void cleanup(void) {
    for (int round = 0; round < CLEANUP_ROUNDS; round++) {
        for (int i = 0; i < ncleanup_cgroups; i++) {
            const char *c = cleanup_cgroups[i];
            if (exists(c, "cgroup.kill")) put(c, "cgroup.kill", "1");
            else if (exists(c, "cgroup.freeze")) { put(c, "cgroup.freeze", "1"); kill_members(c); put(c, "cgroup.freeze", "0"); }
            else if (exists(c, "freezer.state")) {
                put(c, "freezer.state", "FROZEN");
                kill_members(c);
                put(c, "freezer.state", "THAWED");
            }
            else kill_members(c);
        }
        int left = 0;
        for (int i = 0; i < ncleanup_cgroups + ncleanup_dirs; i++) {
            const char *d = i < ncleanup_cgroups ? cleanup_cgroups[i] : cleanup_dirs[i - ncleanup_cgroups];
            remove_tree(d);
            left |= access(d, F_OK) == 0;
        }
        if (!left) return;
        usleep(CLEANUP_PAUSE_US);
    }
}

int build_root_main(const char *args_file) {
    static char *argv[2 * MAX_LIST + 64] = {"s4j-launch"};
    int argc = read_args(args_file, argv, 1, sizeof argv / sizeof argv[0]);
    parse_build(argc, argv);
    if (geteuid() != 0) { errno = EPERM; fail("--build-root needs root (mount namespaces, idmapped binds)"); }
    if (setsid() < 0) fail("setsid");
    if (chdir("/") < 0) fail("chdir /");
    if (unshare(CLONE_NEWNS | (own_net ? CLONE_NEWNET : 0)) < 0) fail("unshare the mount%s namespace", own_net ? " and network" : "");
    if (mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0) fail("make / a slave mount");
    clone_sources(); /* by the pins, in the host's view of the file system, before anything covers a part of it */
    if (run_tmpfs) attach(new_tmpfs(0755, RUN_TMPFS_SIZE, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, "/run"),
            open_plain("/run", "the host's"), "/run");
    attach(new_tmpfs(0755, ROOT_TMPFS_SIZE, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, root_path), open_plain(root_path, "the root"),
            root_path);
    root_fd = open_plain(root_path, "the root");
    int hidden = openat(root_fd, HIDDEN, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0000);
    if (hidden < 0 || close(hidden) < 0) fail("create the hiding file");
    int root_ro = 0;
    for (int i = 0; i < nops; i++) {
        apply(&ops[i]);
        root_ro |= ops[i].kind == REMOUNT_RO;
    }
    if (unlinkat(root_fd, HIDDEN, 0) < 0) fail("remove the hiding file"); /* its binds keep the inode */
    if (root_ro) set_attr(root_fd, "", AT_EMPTY_PATH, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, 0, "the root");
    close(root_fd);
    static const char ready[] = "S4J-READY\n";
    if (write(STDOUT_FILENO, ready, sizeof ready - 1) != (ssize_t) (sizeof ready - 1)) fail("report ready");
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null < 0 || dup2(null, STDOUT_FILENO) < 0 || dup2(null, STDERR_FILENO) < 0) fail("/dev/null");
    close(null);
    for (char buf[512];;) {
        ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
        if (n == 0 || (n < 0 && errno != EINTR)) break;
    }
    cleanup();
    _exit(0);
}
