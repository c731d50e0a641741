/*
 * s4j-launch.h: what the parts of the launcher share. s4j-launch.c parses the arguments and runs the
 * three processes; s4j-view.c verifies and clones the bind sources and builds the sandbox's root from the
 * file-system operations; s4j-bwrap.c is the bubblewrap backend's pre-exec mode; s4j-root.c builds the
 * chroot and nspawn backends' root once per sandbox and holds it.
 */
#ifndef S4J_LAUNCH_H
#define S4J_LAUNCH_H
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/keyctl.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define FAIL_STATUS 125
/* how long the namespaces launcher waits for pid 1 to exit after the command did, to reap it */
#define PID1_GRACE_MS 100
#define MAX_LIST 512

/*
 * The file-system operations, in order; BIND to RO_BIND_OWN are binds, whose source a is pinned: it must
 * resolve, without a symbolic link, to the object dev:ino (see open_pinned), and is cloned before anything
 * else. The _OWN ones are idmapped when --idmap is given.
 */
enum kind { BIND, RO_BIND, DEV_BIND, BIND_OWN, RO_BIND_OWN, TMPFS, PROC, DEV, SYMLINK, HIDE, REMOUNT_RO,
    EMPTY_DIR /* an empty directory on the root, of mode o->mode (made with its parents) */, DEV_NODES, MOUNT_POINT /* --build-root's own (s4j-root.c): a few host device nodes; an empty directory */ };
struct op {
    enum kind kind;
    const char *a, *b, *what; /* what: for messages, what the bind is ("the policy's mount at /data"), or NULL */
    unsigned long long size, dev, ino;
    unsigned mode;
    int tree, is_dir;
};

extern struct op ops[MAX_LIST];
extern int nops, disable_userns, ncgroups, bwrap_mode;
extern const char *cgroup_files[MAX_LIST];
/* --user: the command's ids inside, and the host ids its user namespace maps them to */
extern long uid, gid, host_uid, host_gid, parent_pid;
/* --idmap: the _OWN binds show files of host uid/gid idmap_from as idmap_to's (and store the reverse); -1: none */
extern long idmap_from_uid, idmap_from_gid, idmap_to_uid, idmap_to_gid;
/* --join-ns PID: the process whose user and mount namespaces hold the disk storage (a JVM that is not root); -1: none */
extern long join_pid;

/* Reports a setup failure and ends the process: exit 125 in L, a message to L from C and D. */
void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void write_file(const char *path, const char *text);
void usage(const char *what, const char *arg) __attribute__((noreturn));
long number(const char *s, int base, long max);
const char *abs_path(const char *s);
void rlimit_arg(const char *spec);
void lower_rlimits(void);
/* The whole of a small file into buf (at most max - 1 bytes); fails the launch on an error. */
size_t slurp(const char *path, char *buf, size_t max, const char *what);
/* The NUL-separated arguments of FILE, which is deleted at once, into args[first..] (NULL-ended); the new count. */
int read_args(const char *path, char **args, int first, int max);
/* --user U:G:HU:HG and --idmap FU:FG:TU:TG values. */
void user_arg(const char *spec);
void idmap_arg(const char *spec);
/* A VIEW flag at argv[i] (see the head of s4j-launch.c) appended to ops[]: how many values it took, or -1 when
 * argv[i] is not one. */
int view_arg(int argc, char **argv, int i);
/* A bind's "DEV:INO" into o->dev and o->ino. */
void pin_arg(struct op *o, const char *spec);
/* Joins a new anonymous session keyring (KEYCTL_JOIN_SESSION_KEYRING, NULL): the caller possesses none of the
 * keys of the keyring it inherited. Before the seccomp program. */
void new_session_keyring(void);
/* The raw BPF program (struct sock_filter[]) of FILE, which the Java side compiled from the one syscall table. */
void read_seccomp(const char *path, struct sock_fprog *prog);
/* Writes "deny" to /proc/PID/setgroups, then "uid host_uid 1" and "gid host_gid 1" to its uid_map and gid_map. */
void write_maps(const char *pid);
/* Not root: joins join_pid's user and mount namespaces (setns; the JVM's uid owns that user namespace), where
 * the disk storage's paths are, before any path is resolved; then sets host_uid:host_gid to our ids there. */
void join_storage(void);
/* A user namespace, made by a helper child while we are root (so root owns it), that maps uid:gid to
 * host_uid:host_gid. Returns an fd of it. */
int make_userns(void);
/* The --bwrap mode (s4j-bwrap.c): set up as root, then become bwrap. */
int bwrap_main(const char *args_file) __attribute__((noreturn));
/* Joins every cgroup_files[]: 0 into a v1 "tasks" file (this thread, our only one: no RCU grace period), our pid
 * into a cgroup.procs (which takes cgroup_threadgroup_rwsem for writing: one grace period). */
void join_cgroups(void);
/* A standby's start (argv: MODE [--parent-pid PID] [--cgroup-procs FILE]...): checks the parent, joins the
 * cgroups at once (a grace period a cgroup.procs join waits for thus passes before the exec is asked for),
 * then reads one line from stdin, byte by byte so that nothing after it is
 * consumed: the path of the arguments file, returned. EOF first (the JVM ended or let it go): exit 0. */
const char *standby_wait(int argc, char **argv);
/* The --bwrap-standby mode (s4j-bwrap.c): join the cgroups now, read FILE's path from stdin, then bwrap_main. */
int bwrap_standby_main(int argc, char **argv) __attribute__((noreturn));
void write_map(const char *pid, const char *file, long inside, long outside);

/* Verifies and clones every bind source (idmapping the _OWN ones when --idmap was given), in the caller's mount
 * namespace: for each, open_pinned, then open_tree(fd, "", OPEN_TREE_CLONE|AT_EMPTY_PATH) - never by name. */
void clone_sources(void);
/* An O_PATH fd of o->a resolved without following any symbolic link (openat2 RESOLVE_NO_SYMLINKS |
 * RESOLVE_NO_MAGICLINKS, else an O_NOFOLLOW walk), which must be the object o->dev:o->ino; else the launch
 * fails, naming the source (and o->what). */
int open_pinned(const struct op *o);
/* An empty mount point of the same kind (file or directory) as what will cover it. */
void mount_point(const char *dst, int is_dir);
/* In pid 1: the staging tmpfs, the operations, then pivot_root into the new root. */
void build_root(void);
/* mount_setattr(dirfd, path, flags) setting the attributes set (and userns for MOUNT_ATTR_IDMAP); fails naming what. */
void set_attr(int dirfd, const char *path, int flags, unsigned long long set, int userns, const char *what);
/* The --build-root mode (s4j-root.c): builds the chroot and nspawn backends' root, then holds it until EOF on stdin. */
int build_root_main(const char *args_file) __attribute__((noreturn));

#endif
