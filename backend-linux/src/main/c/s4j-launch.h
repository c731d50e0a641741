/*
 * s4j-launch.h: what the parts of the launcher share. s4j-launch.c parses the arguments and runs the
 * three processes; s4j-view.c builds the sandbox's root from the file-system operations; s4j-bwrap.c is
 * the bubblewrap backend's pre-exec mode.
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

/* The file-system operations, in order; BIND to RO_BIND_OWN are binds (their sources cloned first). */
enum kind { BIND, RO_BIND, DEV_BIND, BIND_OWN, RO_BIND_OWN, TMPFS, PROC, DEV, SYMLINK, HIDE, REMOUNT_RO };
struct op { enum kind kind; const char *a, *b; unsigned long long size; unsigned mode; int tree, is_dir; };

extern struct op ops[MAX_LIST];
extern int nops, disable_userns, ncgroups, bwrap_mode;
extern const char *cgroup_files[MAX_LIST];
extern long host_uid, host_gid, parent_pid;
extern struct sock_filter guard[160];
extern unsigned short guard_len;

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
/* The setuid guard (see s4j-launch.c) into guard[] and guard_len. */
void build_guard(void);
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

/* Clones every bind source (idmapping the own ones when idmap); returns whether an idmapped one is writable. */
int clone_sources(int idmap);
/* In pid 1: the staging tmpfs, the operations, then pivot_root into the new root. */
void build_root(void);

#endif
