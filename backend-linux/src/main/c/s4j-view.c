/*
 * s4j-view.c: the sandbox's root. L verifies and clones the bind sources (open_pinned, then open_tree on the
 * verified fd) in the mount namespace where it resolved them: as root in the host's, before it makes the
 * sandbox's user namespace, with the _OWN ones idmapped; else in its new mount namespace. pid 1 then mounts
 * a staging tmpfs on /tmp, pivots into it (the host's root at /oldroot, the new root at /newroot), applies
 * the operations in order, unmounts the host's root and pivots into the new root.
 */
#include "s4j-launch.h"

#define BASE "/tmp" /* where the staging tmpfs goes; pivot_root uncovers the host's /tmp again */

/*
 * A user namespace made by a helper child while we are root, whose maps we write from outside; an fd of it.
 * write_ids(pid) writes the maps.
 */
static int helper_userns(void (*write_ids)(const char *pid), const char *what) {
    int ready[2], done[2];
    char c = 0, id[16], path[64];
    if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(done, O_CLOEXEC) < 0) fail("%s: pipe", what);
    pid_t pid = fork();
    if (pid < 0) fail("%s: fork", what);
    if (pid == 0) {
        if (unshare(CLONE_NEWUSER) < 0 || write(ready[1], &c, 1) != 1) _exit(1);
        close(done[1]);
        _exit(read(done[0], &c, 1) < 0); /* returns when the parent closes its end */
    }
    close(ready[1]);
    close(done[0]);
    if (read(ready[0], &c, 1) != 1) { errno = ECHILD; fail("%s: the helper could not unshare a user namespace", what); }
    snprintf(id, sizeof id, "%d", pid);
    write_ids(id);
    snprintf(path, sizeof path, "/proc/%d/ns/user", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail("%s: open %s", what, path);
    close(done[1]);
    close(ready[0]);
    if (waitpid(pid, NULL, 0) < 0) fail("%s: waitpid", what);
    return fd;
}

static void write_idmap(const char *pid) {
    write_map(pid, "uid_map", idmap_from_uid, idmap_to_uid);
    write_map(pid, "gid_map", idmap_from_gid, idmap_to_gid);
}

/*
 * The user namespace of the idmapped binds: host files of idmap_from (the JVM's user) appear as idmap_to's
 * (the sandbox's host user), and what idmap_to creates is stored as idmap_from's.
 */
static int idmap_userns(void) {
    return helper_userns(write_idmap, "idmap");
}

int make_userns(void) {
    return helper_userns(write_maps, "the sandbox's user namespace");
}

/* The O_NOFOLLOW walk of open_pinned, for kernels without openat2 (before 5.6): -1 and errno on failure. */
static int walk_nofollow(const char *path) {
    char buf[4096], *save = NULL;
    snprintf(buf, sizeof buf, "%s", path);
    int dir = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    for (char *c = strtok_r(buf, "/", &save); dir >= 0 && c; c = strtok_r(NULL, "/", &save)) {
        int next = openat(dir, c, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        int err = errno;
        struct stat st;
        close(dir);
        if (next >= 0 && fstat(next, &st) == 0 && S_ISLNK(st.st_mode)) {
            close(next);
            next = -1;
            err = ELOOP;
        }
        errno = err;
        dir = next;
    }
    return dir;
}

int open_pinned(const struct op *o) {
    const char *path = o->a, *sep = o->what ? " (" : "", *what = o->what ? o->what : "", *end = o->what ? ")" : "";
    struct open_how how = {.flags = O_PATH | O_CLOEXEC, .mode = 0, .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
    int fd = (int) syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
    if (fd < 0 && errno == ENOSYS) fd = walk_nofollow(path);
    if (fd < 0 && errno == ELOOP)
        fail("bind source %s%s%s%s: a component of it is now a symbolic link (it had none when the sandbox was built, and"
             " a source is never resolved through one); nothing is mounted from it", path, sep, what, end);
    if (fd < 0) fail("bind source %s%s%s%s: resolve it without following links", path, sep, what, end);
    struct stat st;
    if (fstat(fd, &st) < 0) fail("bind source %s: fstat", path);
    if ((unsigned long long) st.st_dev != o->dev || (unsigned long long) st.st_ino != o->ino) {
        errno = ESTALE;
        fail("bind source %s%s%s%s: it was replaced since the sandbox was built (pinned %llu:%llu, now %llu:%llu);"
             " nothing is mounted from it", path, sep, what, end, o->dev, o->ino, (unsigned long long) st.st_dev,
             (unsigned long long) st.st_ino);
    }
    return fd;
}

void set_attr(int dirfd, const char *path, int flags, unsigned long long set, int userns, const char *what) {
    struct mount_attr attr = {0};
    attr.attr_set = set;
    attr.userns_fd = (unsigned) userns;
    if (syscall(SYS_mount_setattr, dirfd, path, flags, &attr, sizeof attr) < 0) fail("%s: mount_setattr", what);
}

/*
 * Detached copies of every bind source, each cloned from the fd open_pinned verified (never by name), in the
 * caller's mount namespace. C (or the bwrap launcher) moves them in place.
 */
void clone_sources(void) {
    int userns = -1, idmap = idmap_from_uid >= 0;
    for (int i = 0; i < nops; i++) {
        struct op *o = &ops[i];
        if (o->kind > RO_BIND_OWN) continue;
        int own = o->kind == BIND_OWN || o->kind == RO_BIND_OWN, mapped = own && idmap;
        int pinned = open_pinned(o);
        o->tree = (int) syscall(SYS_open_tree, pinned, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | (mapped ? 0 : AT_RECURSIVE));
        if (o->tree < 0) fail("bind %s: open_tree", o->a);
        close(pinned);
        struct stat st;
        if (fstat(o->tree, &st) < 0) fail("bind %s: fstat", o->a);
        o->is_dir = S_ISDIR(st.st_mode);
        unsigned long long set = o->kind == DEV_BIND ? MOUNT_ATTR_NOSUID : MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
        if (o->kind == RO_BIND || o->kind == RO_BIND_OWN) set |= MOUNT_ATTR_RDONLY;
        if (mapped && userns < 0) userns = idmap_userns();
        if (mapped) set |= MOUNT_ATTR_IDMAP;
        char what[4200];
        snprintf(what, sizeof what, mapped ? "bind %s (idmapped: its file system must support that)" : "bind %s", o->a);
        set_attr(o->tree, "", AT_EMPTY_PATH | (mapped ? 0 : AT_RECURSIVE), set, mapped ? userns : 0, what);
    }
    if (userns >= 0) close(userns);
}

/* A path as the sandbox will see it: without the staging prefix. */
static const char *shown(const char *p) {
    return !strncmp(p, "/newroot", 8) && (p[8] == '/' || p[8] == '\0') ? (p[8] ? p + 8 : "/") : p;
}

static void mkdir_p(const char *path) {
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1;; p++) {
        if (*p != '/' && *p != '\0') continue;
        char c = *p;
        *p = '\0';
        if (mkdir(buf, 0755) < 0 && errno != EEXIST) fail("mkdir %s", shown(buf));
        if (c == '\0') return;
        *p = c;
    }
}

static void mkdir_parent(const char *path) {
    char parent[4096];
    snprintf(parent, sizeof parent, "%s", path);
    *strrchr(parent, '/') = '\0';
    if (parent[0]) mkdir_p(parent);
}

void mount_point(const char *dst, int is_dir) {
    mkdir_parent(dst);
    if (is_dir) { mkdir_p(dst); return; }
    int fd = open(dst, O_WRONLY | O_CREAT | O_CLOEXEC, 0444);
    if (fd < 0 && errno != EISDIR) fail("create the mount point %s", shown(dst));
    if (fd >= 0) close(fd);
}

static const char *in_new(const char *p, char *buf) {
    snprintf(buf, 4096, "/newroot%s", strcmp(p, "/") ? p : "");
    return buf;
}

static void mount_dev(const char *root) {
    char p[4200];
    if (mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=65536") < 0) fail("mount tmpfs on %s", shown(root));
    static const char *nodes[] = {"null", "zero", "full", "random", "urandom", "tty"};
    for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; i++) {
        char host[64];
        snprintf(host, sizeof host, "/oldroot/dev/%s", nodes[i]);
        snprintf(p, sizeof p, "%s/%s", root, nodes[i]);
        mount_point(p, 0);
        if (mount(host, p, NULL, MS_BIND, NULL) < 0) fail("bind /dev/%s", nodes[i]);
    }
    static const char *links[][2] = {{"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"},
            {"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"}, {"pts/ptmx", "ptmx"}};
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", root, links[i][1]);
        if (symlink(links[i][0], p) < 0) fail("symlink %s", shown(p));
    }
    snprintf(p, sizeof p, "%s/shm", root);
    mkdir_p(p);
    if (mount("tmpfs", p, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=67108864") < 0) fail("mount tmpfs on %s", shown(p));
    snprintf(p, sizeof p, "%s/pts", root);
    mkdir_p(p);
    if (mount("devpts", p, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=620") < 0) fail("mount devpts on %s", shown(p));
    set_attr(AT_FDCWD, root, 0, MOUNT_ATTR_RDONLY, 0, shown(root)); /* the tmpfs only: nodes, shm and pts stay writable */
}

static void mount_proc(const char *root) {
    char p[4200];
    if (mount("proc", root, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) fail("mount proc on %s", shown(root));
    if (disable_userns) { /* counted in our user namespace: no process inside can make another */
        snprintf(p, sizeof p, "%s/sys/user/max_user_namespaces", root);
        write_file(p, "0");
    }
    /* as bubblewrap does: the host-wide knobs stay read-only whatever the kernel thinks of our uid */
    static const char *cover[] = {"sys", "sysrq-trigger", "irq", "bus"};
    for (size_t i = 0; i < sizeof cover / sizeof cover[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", root, cover[i]);
        if (access(p, F_OK) < 0) continue;
        if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0) fail("bind %s", shown(p));
        set_attr(AT_FDCWD, p, AT_RECURSIVE, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, 0, shown(p));
    }
}

static void hide(const char *p) {
    struct stat st;
    if (stat(p, &st) < 0) {
        if (errno == ENOENT) return; /* nothing there to hide */
        fail("hide %s", shown(p));
    }
    if (S_ISDIR(st.st_mode)) {
        if (mount("tmpfs", p, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0000,size=4096") < 0) fail("hide %s", shown(p));
        return;
    }
    if (mount("/hidden", p, NULL, MS_BIND, NULL) < 0) fail("hide %s", shown(p));
    set_attr(AT_FDCWD, p, 0, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, 0, shown(p));
}

void build_root(void) {
    char p[4096];
    if (mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0) fail("make / a slave mount");
    if (mount("tmpfs", BASE, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=65536") < 0) fail("mount the staging tmpfs");
    if (chdir(BASE) < 0) fail("chdir to the staging tmpfs");
    if (mkdir("newroot", 0755) < 0 || mkdir("oldroot", 0755) < 0) fail("mkdir in the staging tmpfs");
    int hidden = open("hidden", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0000);
    if (hidden < 0 || close(hidden) < 0) fail("create the hiding file");
    if (mount("tmpfs", "newroot", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1048576") < 0) fail("mount the root tmpfs");
    if (syscall(SYS_pivot_root, BASE, "oldroot") < 0) fail("pivot_root to the staging tmpfs");
    if (chdir("/") < 0) fail("chdir /");
    int root_ro = 0;
    for (int i = 0; i < nops; i++) {
        struct op *o = &ops[i];
        const char *dst = in_new(o->b ? o->b : o->a, p); /* two-path operations name their destination second */
        switch (o->kind) {
        case BIND: case RO_BIND: case DEV_BIND: case BIND_OWN: case RO_BIND_OWN:
            mount_point(dst, o->is_dir);
            if (syscall(SYS_move_mount, o->tree, "", AT_FDCWD, dst, MOVE_MOUNT_F_EMPTY_PATH) < 0) fail("bind %s to %s", o->a, o->b);
            close(o->tree);
            break;
        case TMPFS: {
            char opts[64];
            if (o->size) snprintf(opts, sizeof opts, "mode=%o,size=%llu", o->mode, o->size);
            else snprintf(opts, sizeof opts, "mode=%o", o->mode);
            mkdir_p(dst);
            if (mount("tmpfs", dst, "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0) fail("mount tmpfs on %s", o->a);
            break;
        }
        case PROC: mkdir_p(dst); mount_proc(dst); break;
        case DEV: mkdir_p(dst); mount_dev(dst); break;
        case SYMLINK:
            mkdir_parent(dst);
            if (symlink(o->a, dst) < 0) fail("symlink %s", o->b);
            break;
        case EMPTY_DIR:
            mkdir_p(dst);
            if (chmod(dst, o->mode) < 0) fail("chmod %s", o->a); /* mkdir's mode went through the umask */
            break;
        case HIDE: hide(dst); break;
        case REMOUNT_RO:
            if (!strcmp(o->a, "/")) root_ro = 1; /* after the final pivot: its mount points must be made first */
            else set_attr(AT_FDCWD, dst, AT_RECURSIVE, MOUNT_ATTR_RDONLY, 0, o->a);
            break;
        case DEV_NODES: case MOUNT_POINT: /* --build-root's only: the launcher's parser takes neither */
            errno = EINVAL;
            fail("%s: not an operation of this mode", o->a);
        }
    }
    if (umount2("/oldroot", MNT_DETACH) < 0) fail("unmount the host's root");
    if (chdir("/newroot") < 0) fail("chdir /newroot");
    if (syscall(SYS_pivot_root, ".", ".") < 0) fail("pivot_root to the new root");
    if (umount2(".", MNT_DETACH) < 0) fail("unmount the staging tmpfs");
    if (chdir("/") < 0) fail("chdir / in the new root");
    if (root_ro) set_attr(AT_FDCWD, "/", 0, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, 0, "/");
}
