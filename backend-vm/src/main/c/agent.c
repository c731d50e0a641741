/*
 * sandbox4j guest agent. PID 1 of a sandbox VM (loads the virtio modules, mounts, then serves the host over
 * the virtio-serial port "sandbox4j.agent"), or a plain host process in test mode (--stdio: the protocol on
 * fds 0 and 1). The wire format is documented in backend-vm/PROTOCOL.md; keep both in step.
 * One thread, one poll loop: a request never waits on an exec, an exec never waits on the host.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/random.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define VERSION "2"
#define MAGIC 0x5334u
#define HDR 12
#define MAXPAY (1u << 20)
#define CHUNK (64 * 1024)
#define MAXEX 64
#define MAXPEND (64u << 20)
#define NONE64 UINT64_MAX

enum { REQ_INIT = 1, REQ_EXEC, REQ_STDIN, REQ_KILL, REQ_FREAD, REQ_FWRITE, REQ_FLIST, REQ_FDELETE, REQ_PING, REQ_TAROUT, REQ_TARIN };
enum { REP_READY = 0x81, REP_OK, REP_ERROR, REP_STARTED, REP_STDOUT, REP_STDERR, REP_EXIT, REP_DATA, REP_END, REP_LIST };
enum { X_NNP = 1, X_DROPCAPS = 2, X_STDIN_NULL = 4 };

struct ex {
    int used, exited, timed_out, close_in;
    uint32_t id;
    pid_t pid;
    int in, out, err;
    uint64_t deadline;
    long pids_max0, pids0, oom0; /* event counters at start: the sandbox's (kernels >= 6.2 count there), the exec's */
    uint8_t *pend;
    size_t pn;
    char cg[80];
};

static int in_fd = 0, out_fd = 1, init_mode;
static int fixed_addresses; /* INIT flag 2: commands start with ADDR_NO_RANDOMIZE */
static char cg_root[64];
static const char *busybox = "/sandbox4j/busybox";
static struct ex ex[MAXEX];
static uint8_t ib[HDR + MAXPAY];
/* empty exec cgroups kept for reuse (a mkdir and rmdir cost ms under TCG), with their event counters then */
static struct { char cg[80]; long pids, oom; } cg_pool[16];
static int cg_free, last_cap = 63;
static size_t il;
extern char **environ;

static void die(const char *what) {
    dprintf(2, "sandbox4j-agent: fatal: %s: %s\n", what, strerror(errno));
    if (init_mode) {
        sync();
        reboot(RB_POWER_OFF); /* QEMU exits, the host sees it at once instead of waiting for a timeout */
    }
    _exit(70);
}

static uint64_t now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t) t.tv_sec * 1000 + (uint64_t) t.tv_nsec / 1000000;
}

/* ---------- framing ---------- */

static void be32(uint8_t *p, uint32_t v) { p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v; }
static void be64(uint8_t *p, uint64_t v) { be32(p, v >> 32); be32(p + 4, (uint32_t) v); }

static void send_frame(int type, uint32_t id, const void *a, size_t an, const void *b, size_t bn) {
    uint8_t h[HDR];
    h[0] = MAGIC >> 8; h[1] = MAGIC & 0xff; h[2] = type; h[3] = 0;
    be32(h + 4, id);
    be32(h + 8, an + bn);
    struct iovec v[3] = {{h, HDR}, {(void *) a, an}, {(void *) b, bn}};
    int n = 3, i = 0;
    while (i < n) {
        ssize_t w = writev(out_fd, v + i, n - i);
        if (w < 0) {
            if (errno == EINTR) continue;
            if (!init_mode) _exit(0); /* the host went away */
            return;
        }
        while (i < n && (size_t) w >= v[i].iov_len) w -= v[i++].iov_len;
        if (i < n) { v[i].iov_base = (char *) v[i].iov_base + w; v[i].iov_len -= w; }
    }
}

static void send_error(uint32_t id, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void send_error(uint32_t id, int err, const char *fmt, ...) {
    uint8_t p[4 + 4 + 1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf((char *) p + 8, 1024, fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    if (n > 1023) n = 1023;
    be32(p, err);
    be32(p + 4, n);
    send_frame(REP_ERROR, id, p, 8 + n, NULL, 0);
}

/* A cursor over a payload; any read past the end marks it bad and yields zeros. */
struct rd { const uint8_t *p; size_t n; int bad; };

static uint32_t g32(struct rd *r) {
    if (r->n < 4) { r->bad = 1; r->n = 0; return 0; }
    uint32_t v = (uint32_t) r->p[0] << 24 | (uint32_t) r->p[1] << 16 | (uint32_t) r->p[2] << 8 | r->p[3];
    r->p += 4; r->n -= 4;
    return v;
}

static uint64_t g64(struct rd *r) { uint64_t hi = g32(r); return hi << 32 | g32(r); }

/* A length-prefixed string, copied and NUL-terminated; one holding a NUL byte is malformed. */
static char *gstr(struct rd *r) {
    uint32_t n = g32(r);
    if (r->bad || n > r->n || memchr(r->p, 0, n)) { r->bad = 1; r->n = 0; return strdup(""); }
    char *s = malloc(n + 1);
    if (!s) die("malloc");
    memcpy(s, r->p, n);
    s[n] = 0;
    r->p += n; r->n -= n;
    return s;
}

/* A length-prefixed byte string, copied (8-byte aligned, as malloc returns it); its length in *n. */
static uint8_t *gblob(struct rd *r, uint32_t *n) {
    *n = g32(r);
    if (r->bad || *n > r->n) { r->bad = 1; r->n = 0; *n = 0; }
    uint8_t *b = malloc(*n + 1);
    if (!b) die("malloc");
    memcpy(b, r->p, *n);
    r->p += *n; r->n -= *n;
    return b;
}

/* A counted list of strings, NULL-terminated; counts beyond what the payload can hold are malformed. */
static char **glist(struct rd *r) {
    uint32_t n = g32(r);
    if (n > r->n / 4) { r->bad = 1; n = 0; }
    char **v = calloc(n + 1, sizeof *v);
    if (!v) die("calloc");
    for (uint32_t i = 0; i < n; i++) v[i] = gstr(r);
    return v;
}

static void freelist(char **v) {
    for (char **p = v; p && *p; p++) free(*p);
    free(v);
}

/* ---------- small file helpers ---------- */

static int put_file(const char *path, const char *s) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t w = write(fd, s, strlen(s));
    int e = errno;
    close(fd);
    errno = e;
    return w == (ssize_t) strlen(s) ? 0 : -1;
}

static long read_counter(const char *file, const char *key) {
    char buf[1024];
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return -1;
    buf[n] = 0;
    size_t kl = strlen(key);
    for (char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (!strncmp(l, key, kl) && l[kl] == ' ') return atol(l + kl + 1);
    return -1;
}

static int mkdirs(const char *path) {
    char p[4096];
    snprintf(p, sizeof p, "%s", path);
    for (char *s = p + 1; *s; s++)
        if (*s == '/') { *s = 0; if (mkdir(p, 0755) && errno != EEXIST) return -1; *s = '/'; }
    return mkdir(p, 0755) && errno != EEXIST ? -1 : 0;
}

/* Opens a path with no symlink anywhere on the way: files-API requests never follow one. */
static int open_nolinks(const char *path, int flags, int mode) {
    struct open_how how = {.flags = flags | O_CLOEXEC | O_NOFOLLOW, .mode = mode,
                           .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
    return (int) syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
}

/* ---------- boot (init mode only) ---------- */

static const char *modules[] = {
    "drivers/virtio/virtio_ring", "drivers/virtio/virtio", "drivers/virtio/virtio_mmio",
    "drivers/virtio/virtio_pci_legacy_dev", "drivers/virtio/virtio_pci_modern_dev", "drivers/virtio/virtio_pci",
    "drivers/char/virtio_console", "fs/fuse/fuse", "fs/fuse/virtiofs", NULL};

static void load_modules(void) {
    char rel[128] = "", path[512];
    int fd = open("/proc/sys/kernel/osrelease", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) { ssize_t n = read(fd, rel, sizeof rel - 1); close(fd); if (n > 0) rel[n - 1] = 0; }
    for (const char **m = modules; *m; m++) {
        snprintf(path, sizeof path, "/sandbox4j/modules/%s.ko", strrchr(*m, '/') + 1);
        int mfd = open(path, O_RDONLY | O_CLOEXEC);
        if (mfd < 0) {
            snprintf(path, sizeof path, "/lib/modules/%s/kernel/%s.ko", rel, *m);
            mfd = open(path, O_RDONLY | O_CLOEXEC);
        }
        if (mfd < 0) continue; /* built in, or not needed by this kernel */
        if (syscall(SYS_finit_module, mfd, "", 0) && errno != EEXIST)
            dprintf(2, "sandbox4j-agent: finit_module %s: %s\n", path, strerror(errno));
        close(mfd);
    }
}

static void open_port(void) {
    char path[300], name[64];
    for (int tries = 0; tries < 1000; tries++) { /* the port appears when virtio_console has probed: 10 s at most */
        DIR *d = opendir("/sys/class/virtio-ports");
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (e->d_name[0] == '.') continue;
            snprintf(path, sizeof path, "/sys/class/virtio-ports/%s/name", e->d_name);
            int fd = open(path, O_RDONLY | O_CLOEXEC);
            ssize_t n = fd < 0 ? -1 : read(fd, name, sizeof name - 1);
            if (fd >= 0) close(fd);
            if (n > 0 && !strncmp(name, "sandbox4j.agent", 15)) {
                snprintf(path, sizeof path, "/dev/%s", e->d_name);
                in_fd = out_fd = open(path, O_RDWR | O_CLOEXEC);
                if (in_fd >= 0) { closedir(d); return; }
            }
        }
        if (d) closedir(d);
        usleep(10000);
    }
    die("no virtio-serial port named sandbox4j.agent");
}

static void prepare_slots(void);

static void boot(void) {
    /* the initramfs root is a tmpfs, whose root directory is 1777 by default: the sandbox's user could then
     * create files at / ; 0755 as every other backend's root, where only the agent (root) writes */
    chmod("/", 0755);
    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, NULL);
    mkdir("/dev/pts", 0755);
    mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666");
    mkdir("/dev/shm", 01777);
    mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
    symlink("/proc/self/fd", "/dev/fd");
    symlink("/proc/self/fd/0", "/dev/stdin");
    symlink("/proc/self/fd/1", "/dev/stdout");
    symlink("/proc/self/fd/2", "/dev/stderr");
    if (mount("cgroup2", "/sys/fs/cgroup", "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == 0) {
        /* before the snapshot: a restored guest only writes its limits */
        snprintf(cg_root, sizeof cg_root, "/sys/fs/cgroup/sandbox");
        put_file("/sys/fs/cgroup/cgroup.subtree_control", "+memory +pids +cpu");
        mkdir(cg_root, 0755);
        put_file("/sys/fs/cgroup/sandbox/cgroup.subtree_control", "+memory +pids");
        for (int i = 0; i < 4; i++) { /* the first execs after a restore find their cgroups made, counting from 0 */
            snprintf(cg_pool[cg_free].cg, sizeof cg_pool[cg_free].cg, "%s/p%d", cg_root, i);
            if (!mkdir(cg_pool[cg_free].cg, 0755)) cg_free++;
        }
    }
    /* no oom_score_adj: the OOM killer never picks PID 1 (the agent), so a memory hog cannot take it along */
    /*
     * The highest CPU weight: a fork bomb or a busy loop inside must not delay the agent's answer to a KILL
     * (the host gives a killed command 1.5 s before it stops the whole VM). Commands start at nice 0 (child()).
     */
    setpriority(PRIO_PROCESS, 0, -20);
    sethostname("sandbox", 7);
    load_modules();
    prepare_slots();
    open_port();
}

/*
 * Powers on the slot of every PCIe root port that is off: of all of them (any), or of those holding a device;
 * enables the ports too when asked. pciehp is off (pcie_ports=compat), so the agent does its work: a device
 * the host hot-adds after restoring a snapshot appears only in a powered slot.
 */
static void power_slots(int any, int enable) {
    DIR *d = opendir("/sys/bus/pci/devices");
    struct dirent *e;
    char path[300];
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "/sys/bus/pci/devices/%s/config", e->d_name);
        int fd = open(path, O_RDWR | O_CLOEXEC), port = 0;
        uint8_t h[64], c[0x1c];
        if (fd < 0) continue;
        /* small reads: each config byte is an emulated access, and a whole 256-byte space per device costs ms under TCG */
        if (pread(fd, h, sizeof h, 0) == (ssize_t) sizeof h && h[0x0a] == 0x04 && h[0x0b] == 0x06 && (h[6] & 0x10)) { /* a bridge with capabilities */
            for (int off = h[0x34] & 0xfc, hops = 0; off >= 0x40 && off <= 0xe0 && hops < 48; off = c[1] & 0xfc, hops++) {
                if (pread(fd, c, sizeof c, off) != (ssize_t) sizeof c) break;
                if (c[0] != 0x10) continue;
                if ((c[2] & 0xf0) != 0x40 || !(c[3] & 0x01)) break; /* PCIe, but no root port with a slot */
                port = 1;
                uint16_t ctl = c[0x18] | c[0x19] << 8;
                if ((ctl & 0x400) && (any || (c[0x1a] & 0x40))) { /* powered off (and a device present) */
                    ctl = (ctl & ~0x700) | 0x100; /* power controller on, power indicator on */
                    uint8_t w[2] = {ctl & 0xff, ctl >> 8};
                    if (pwrite(fd, w, 2, off + 0x18) != 2) dprintf(2, "sandbox4j-agent: powering slot %s: %s\n", e->d_name, strerror(errno));
                }
                break;
            }
        }
        close(fd);
        if (port && enable) {
            snprintf(path, sizeof path, "/sys/bus/pci/devices/%s/enable", e->d_name);
            if (put_file(path, "1")) dprintf(2, "sandbox4j-agent: enabling %s: %s\n", e->d_name, strerror(errno));
        }
    }
    if (d) closedir(d);
}

/*
 * At boot, so before a snapshot is taken: every root port's slot powered on and every port enabled (its bridge
 * windows were assigned at boot), so that the devices hot-added after a restore need only a bus rescan.
 * Powering and enabling after the restore (the latter evaluates the ACPI interrupt routing) cost some 1,600
 * first-time translated blocks under TCG, about 10 ms, in every restored VM; here they cost nothing per sandbox.
 */
static void prepare_slots(void) {
    power_slots(1, 1);
}

/*
 * The devices a restored VM got while paused: one rescan for all, resources assigned and drivers probed in
 * one pass. On a retry (a mount found no device) also the slots that are still off are powered first.
 */
static void attach_pci(int retry) {
    if (retry) power_slots(0, 0);
    put_file("/sys/bus/pci/rescan", "1");
}

static int do_mount(const char *tag, const char *path, int ro) {
    static int attached;
    if (mkdirs(path)) return -1;
    if (!attached) { /* the devices a restored VM got while paused: attached before the first mount tries them */
        attached = 1;
        attach_pci(0);
    }
    unsigned long flags = MS_NOSUID | MS_NODEV | (ro ? MS_RDONLY : 0);
    if (mount(tag, path, "virtiofs", flags, NULL)) {
        if (attached > 1) return -1;
        attached = 2; /* once: a device whose slot was off */
        attach_pci(1);
        if (mount(tag, path, "virtiofs", flags, NULL)) return -1;
    }
    return 0;
}

static void do_init(uint32_t id, struct rd *r) {
    uint64_t t = g64(r);
    uint8_t seed[32];
    for (int i = 0; i < 32; i += 4) be32(seed + i, g32(r));
    uint32_t flags = g32(r);
    uint64_t pids = g64(r), mem = g64(r), cpu = g64(r);
    char **mounts = glist(r), **tmpfs = glist(r), **hidden = glist(r);
    size_t nm = 0, nt = 0;
    while (mounts[nm]) nm++;
    while (tmpfs[nt]) nt++;
    if (r->bad || r->n || nm % 3 || nt % 2) { send_error(id, EINVAL, "INIT: malformed payload"); goto out; }
    fixed_addresses = flags & 2;
    if (!init_mode) { send_frame(REP_OK, id, NULL, 0, NULL, 0); goto out; } /* test mode: parse only */
    struct timespec ts = {(time_t) (t / 1000000000u), (long) (t % 1000000000u)};
    clock_settime(CLOCK_REALTIME, &ts); /* a restored snapshot wakes up with the clock of its save */
    int rfd = open("/dev/urandom", O_WRONLY | O_CLOEXEC); /* and with its RNG state: reseed before anything runs */
    if (rfd >= 0) {
        struct { int ent, size; uint8_t buf[32]; } ent = {256, 32, {0}};
        memcpy(ent.buf, seed, 32);
        ioctl(rfd, RNDADDENTROPY, &ent);
        ioctl(rfd, RNDRESEEDCRNG);
        close(rfd);
    }
    if (flags & 1) {
        int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct ifreq ifr = {0};
        strcpy(ifr.ifr_name, "lo");
        if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) || (ifr.ifr_flags |= IFF_UP, ioctl(s, SIOCSIFFLAGS, &ifr))) {
            send_error(id, errno, "INIT: cannot bring the loopback up: %s", strerror(errno));
            goto out;
        }
        close(s);
    }
    if (cg_root[0]) {
        char f[128], v[64];
        struct { const char *file; uint64_t v; } lim[] = {{"pids.max", pids}, {"memory.max", mem}};
        for (int i = 0; i < 2; i++) {
            if (lim[i].v == NONE64) continue;
            snprintf(f, sizeof f, "%s/%s", cg_root, lim[i].file);
            snprintf(v, sizeof v, "%llu", (unsigned long long) lim[i].v);
            if (put_file(f, v)) { send_error(id, errno, "INIT: cannot set %s=%s: %s", lim[i].file, v, strerror(errno)); goto out; }
        }
        if (cpu != NONE64) {
            snprintf(f, sizeof f, "%s/cpu.max", cg_root);
            snprintf(v, sizeof v, "%llu 100000", (unsigned long long) cpu);
            if (put_file(f, v)) { send_error(id, errno, "INIT: cannot set cpu.max: %s", strerror(errno)); goto out; }
        }
    }
    for (char **m = mounts; m[0] && m[1] && m[2]; m += 3)
        if (do_mount(m[0], m[1], !strcmp(m[2], "ro"))) {
            send_error(id, errno, "INIT: cannot mount share '%s' at %s: %s", m[0], m[1], strerror(errno));
            goto out;
        }
    for (char **m = tmpfs; m[0] && m[1]; m += 2)
        if (mkdirs(m[0]) || mount("tmpfs", m[0], "tmpfs", MS_NOSUID | MS_NODEV, m[1])) {
            send_error(id, errno, "INIT: cannot mount a tmpfs at %s: %s", m[0], strerror(errno));
            goto out;
        }
    for (char **h = hidden; *h; h++) {
        struct stat st;
        if (lstat(*h, &st)) continue; /* nothing there to hide */
        int rc = S_ISDIR(st.st_mode) ? mount("tmpfs", *h, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=000")
                                     : mount("/sandbox4j/empty", *h, NULL, MS_BIND, NULL);
        if (!rc && !S_ISDIR(st.st_mode)) rc = mount(NULL, *h, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL);
        if (rc) { send_error(id, errno, "INIT: cannot hide %s: %s", *h, strerror(errno)); goto out; }
    }
    send_frame(REP_OK, id, NULL, 0, NULL, 0);
out:
    freelist(mounts); freelist(tmpfs); freelist(hidden);
}

/* ---------- exec ---------- */

static struct ex *find_ex(uint32_t id) {
    for (int i = 0; i < MAXEX; i++) if (ex[i].used && ex[i].id == id) return &ex[i];
    return NULL;
}

static void kill_tree(struct ex *x) {
    char f[128];
    snprintf(f, sizeof f, "%s/cgroup.kill", x->cg);
    if (!x->cg[0] || put_file(f, "1")) { /* test mode: the process group is what we have */
        if (!x->exited) kill(-x->pid, SIGKILL), kill(x->pid, SIGKILL);
    }
}

static void child_fail(const char *what, const char *arg, int code) {
    dprintf(2, "sandbox4j: %s%s%s: %s\n", what, arg ? " " : "", arg ? arg : "", strerror(errno));
    _exit(code);
}

/*
 * Installs the host's program (the one system-call table of sandbox4j, compiled for x86_64: it also kills
 * calls through any other ABI). The kernel takes a filter only from a process with CAP_SYS_ADMIN or with
 * no_new_privs; a command that lacks the first gets the second. No heap: the standby child (see
 * arm_standby) shares the agent's memory.
 */
static void install_filter(const uint8_t *bpf, uint32_t bytes) {
    struct sock_fprog prog = {(unsigned short) (bytes / sizeof(struct sock_filter)), (struct sock_filter *) (void *) bpf};
    if (!prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) return;
    if (errno != EACCES || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
        child_fail("seccomp", NULL, 126);
}

struct spec {
    uint32_t flags, uid, gid, nbpf;
    uint64_t keep, timeout, fsize, nofile;
    uint8_t *bpf;
    char *workdir, **argv, **env;
};

/* keep: an fd (CLOEXEC) that stays open until the exec, or -1 */
static void child(const struct spec *s, int pin[2], int pout[2], int perr[2], const char *cg, int keep) {
    char f[128];
    setsid();
    if (cg[0]) {
        snprintf(f, sizeof f, "%s/cgroup.procs", cg);
        if (put_file(f, "0")) child_fail("joining cgroup", cg, 126);
    }
    if (dup2(pin[0], 0) < 0 || dup2(pout[1], 1) < 0 || dup2(perr[1], 2) < 0) _exit(126);
    if (keep < 3) syscall(SYS_close_range, 3, ~0u, 0);
    else syscall(SYS_close_range, 3, keep - 1, 0), syscall(SYS_close_range, keep + 1, ~0u, 0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    setpriority(PRIO_PROCESS, 0, 0); /* the agent's -20 is the agent's alone */
    /* under TCG a program's translated code is reused across runs only at the same addresses */
    if (fixed_addresses && personality(ADDR_NO_RANDOMIZE) < 0) child_fail("personality", NULL, 126);
    struct rlimit rl;
    if (s->fsize != NONE64 && (rl.rlim_cur = rl.rlim_max = s->fsize, setrlimit(RLIMIT_FSIZE, &rl))) child_fail("setrlimit", "RLIMIT_FSIZE", 126);
    if (s->nofile != NONE64 && (rl.rlim_cur = rl.rlim_max = s->nofile, setrlimit(RLIMIT_NOFILE, &rl))) child_fail("setrlimit", "RLIMIT_NOFILE", 126);
    if (s->flags & X_DROPCAPS)
        for (int c = 0; c <= last_cap; c++)
            if (!(s->keep >> c & 1) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) && errno != EINVAL) child_fail("PR_CAPBSET_DROP", NULL, 126);
    if (s->uid != UINT32_MAX) {
        if (s->keep) prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0);
        if (setgroups(0, NULL) || setresgid(s->gid, s->gid, s->gid) || setresuid(s->uid, s->uid, s->uid))
            child_fail("dropping to uid", NULL, 126);
    }
    if (s->flags & X_DROPCAPS) {
        struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
        struct __user_cap_data_struct d[2] = {{(uint32_t) s->keep, (uint32_t) s->keep, (uint32_t) s->keep},
                                              {(uint32_t) (s->keep >> 32), (uint32_t) (s->keep >> 32), (uint32_t) (s->keep >> 32)}};
        if (syscall(SYS_capset, &h, d)) child_fail("capset", NULL, 126);
        for (int c = 0; c <= 63; c++)
            if ((s->keep >> c & 1) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0)) child_fail("PR_CAP_AMBIENT_RAISE", NULL, 126);
    }
    if (s->workdir[0] && chdir(s->workdir)) child_fail("working directory", s->workdir, 126);
    /* as the policy asks; install_filter sets it as well when the kernel demands it for the filter */
    if ((s->flags & X_NNP) && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) child_fail("no_new_privs", NULL, 126);
    install_filter(s->bpf, s->nbpf); /* every exec: do_exec refuses a request without a program */
    environ = s->env;
    execvp(s->argv[0], s->argv);
    child_fail("cannot run", s->argv[0], errno == ENOENT ? 127 : 126);
}

/*
 * Forks straight into the exec's cgroup (clone3 with CLONE_INTO_CGROUP): moving a process by writing
 * cgroup.procs takes the cgroup threadgroup lock for writing, which waits for an RCU grace period, several
 * milliseconds per exec in a one-vCPU guest. Falls back to fork() and that write.
 */
static pid_t spawn_into(const char *cg, int *joined) {
    struct { uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup; } a;
    int fd = cg[0] ? open(cg, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    if (fd >= 0) {
        memset(&a, 0, sizeof a);
        a.flags = 0x200000000ULL; /* CLONE_INTO_CGROUP */
        a.exit_signal = SIGCHLD;
        a.cgroup = (uint64_t) fd;
        pid_t pid = (pid_t) syscall(SYS_clone3, &a, sizeof a);
        if (pid == 0) { *joined = 1; return 0; }
        close(fd);
        if (pid > 0) { *joined = 1; return pid; }
    }
    return fork();
}

/*
 * The first exec's process, made at boot, so before a snapshot is taken: the first command of a restored VM
 * does not fork. Under TCG the kernel's fork paths and the copy-on-write faults after a fork are translated
 * afresh in every restored VM (some 900 of the 16,000 blocks a first exec translated: several milliseconds,
 * more on a busy host), and the standby sits in its exec cgroup with its pipes made already. It shares the
 * agent's memory (CLONE_VM, on its own stack) and waits on the "go" pipe; on the first EXEC the agent points
 * it at the request and, as vfork does, waits until it has exec'd or exited (its CLOEXEC end of the "done"
 * pipe closes), so the request stays valid while it reads it and the agent touches no memory meanwhile.
 * Later execs fork (see spawn_into). Its uid change makes the shared memory non-dumpable (suid_dumpable is
 * 0), so a sandboxed process of the same uid cannot ptrace the standby in the moment between its setresuid
 * and its exec: that memory is the agent's.
 */
static struct {
    pid_t pid;
    int go, done, done_w, in[2], out[2], err[2];
    char *stack;
    size_t stack_size;
    const struct spec *spec; /* the request, while the agent waits for the exec */
    char cg[80];
    long pids, oom;
} standby = {.pid = -1};

static void child(const struct spec *s, int pin[2], int pout[2], int perr[2], const char *cg, int keep);
static void started(uint32_t id, struct ex *x, const struct spec *s, pid_t pid, int pin[2], int pout[2], int perr[2]);

static int standby_main(void *arg) {
    int go = (int) (intptr_t) arg;
    char b;
    ssize_t n;
    while ((n = read(go, &b, 1)) < 0 && errno == EINTR) {}
    if (n != 1) _exit(0); /* the agent gave it up */
    child(standby.spec, standby.in, standby.out, standby.err, "", standby.done_w);
    return 0;
}

static void close_pair(int p[2]) {
    if (p[0] >= 0) close(p[0]);
    if (p[1] >= 0) close(p[1]);
    p[0] = p[1] = -1;
}

static void arm_standby(void) {
    int go[2] = {-1, -1}, done[2] = {-1, -1};
    int *pairs[] = {standby.in, standby.out, standby.err, go, done};
    for (int i = 0; i < 5; i++) pairs[i][0] = pairs[i][1] = -1;
    if (!cg_root[0] || cg_free == 0) return; /* no exec cgroup to put it in: every exec forks */
    standby.stack_size = 256 * 1024;
    standby.stack = mmap(NULL, standby.stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    int ok = standby.stack != MAP_FAILED;
    for (int i = 0; i < 5 && ok; i++) ok = !pipe2(pairs[i], O_CLOEXEC);
    pid_t pid = -1;
    char f[128], v[16];
    if (ok) {
        standby.done_w = done[1];
        pid = clone(standby_main, standby.stack + standby.stack_size, CLONE_VM | SIGCHLD, (void *) (intptr_t) go[0]);
        snprintf(f, sizeof f, "%s/cgroup.procs", cg_pool[cg_free - 1].cg);
        snprintf(v, sizeof v, "%d", (int) pid);
        /* it runs nothing of a command before it is in its cgroup (and the cgroup's limits come with INIT) */
        ok = pid > 0 && !put_file(f, v);
    }
    if (!ok) {
        dprintf(2, "sandbox4j-agent: no standby for the first exec (%s); it forks\n", strerror(errno));
        if (pid > 0) { kill(pid, SIGKILL); waitpid(pid, NULL, 0); }
        for (int i = 0; i < 5; i++) close_pair(pairs[i]);
        if (standby.stack != MAP_FAILED) munmap(standby.stack, standby.stack_size);
        standby.stack = NULL;
        return;
    }
    close(go[0]);
    close(done[1]);
    cg_free--;
    memcpy(standby.cg, cg_pool[cg_free].cg, sizeof standby.cg);
    standby.pids = cg_pool[cg_free].pids;
    standby.oom = cg_pool[cg_free].oom;
    standby.pid = pid;
    standby.go = go[1];
    standby.done = done[0];
}

/* Hands the request to the standby and waits until it has exec'd (or failed and exited); its pid. */
static pid_t use_standby(const struct spec *s, int pin[2], int pout[2], int perr[2]) {
    char **env = environ; /* the child sets environ (for execvp's PATH search), and that memory is this one */
    pid_t pid = standby.pid;
    standby.pid = -1;
    standby.spec = s;
    memcpy(pin, standby.in, sizeof standby.in);
    memcpy(pout, standby.out, sizeof standby.out);
    memcpy(perr, standby.err, sizeof standby.err);
    char b = 1;
    if (write(standby.go, &b, 1) != 1) kill(pid, SIGKILL); /* reported as killed by the usual EXIT */
    while (read(standby.done, &b, 1) < 0 && errno == EINTR) {}
    close(standby.go);
    close(standby.done);
    environ = env;
    munmap(standby.stack, standby.stack_size); /* the child runs on its own memory now, or not at all */
    return pid;
}

static void start_exec(uint32_t id, const struct spec *s) {
    struct ex *x = NULL;
    if (find_ex(id)) { send_error(id, EEXIST, "EXEC: id %u is already running", id); return; }
    for (int i = 0; i < MAXEX && !x; i++) if (!ex[i].used) x = &ex[i];
    if (!x) { send_error(id, EAGAIN, "EXEC: %d execs already running; wait for one to end", MAXEX); return; }
    if (!s->argv[0]) { send_error(id, EINVAL, "EXEC: empty argv"); return; }
    int pin[2], pout[2], perr[2];
    memset(x, 0, sizeof *x);
    if (standby.pid > 0) {
        memcpy(x->cg, standby.cg, sizeof x->cg);
        x->pids0 = standby.pids;
        x->oom0 = standby.oom;
        pid_t pid = use_standby(s, pin, pout, perr);
        started(id, x, s, pid, pin, pout, perr);
        return;
    }
    if (pipe2(pin, O_CLOEXEC) || pipe2(pout, O_CLOEXEC) || pipe2(perr, O_CLOEXEC)) { send_error(id, errno, "EXEC: pipe: %s", strerror(errno)); return; }
    if (cg_root[0] && cg_free > 0) {
        cg_free--;
        memcpy(x->cg, cg_pool[cg_free].cg, sizeof x->cg);
        x->pids0 = cg_pool[cg_free].pids;
        x->oom0 = cg_pool[cg_free].oom;
    } else if (cg_root[0]) {
        snprintf(x->cg, sizeof x->cg, "%s/e%u", cg_root, id);
        if (!mkdir(x->cg, 0755)) {
            x->pids0 = x->oom0 = 0; /* a new cgroup counts from zero */
        } else if (errno != EEXIST) {
            x->cg[0] = 0;
        } else { /* left over by an exec whose daemons live on */
            char f[128];
            snprintf(f, sizeof f, "%s/pids.events", x->cg);
            x->pids0 = read_counter(f, "max");
            snprintf(f, sizeof f, "%s/memory.events", x->cg);
            x->oom0 = read_counter(f, "oom_kill");
        }
    }
    int joined = 0;
    pid_t pid = spawn_into(x->cg, &joined);
    if (pid == 0) child(s, pin, pout, perr, joined ? "" : x->cg, -1);
    started(id, x, s, pid, pin, pout, perr);
}

/* After the child was made: the agent's ends of its pipes, its deadline, and STARTED (or the fork's error). */
static void started(uint32_t id, struct ex *x, const struct spec *s, pid_t pid, int pin[2], int pout[2], int perr[2]) {
    close(pin[0]); close(pout[1]); close(perr[1]);
    if (pid < 0) {
        send_error(id, errno, "EXEC: fork: %s", strerror(errno));
        close(pin[1]); close(pout[0]); close(perr[0]);
        return;
    }
    x->used = 1; x->id = id; x->pid = pid; x->in = pin[1]; x->out = pout[0]; x->err = perr[0];
    fcntl(x->in, F_SETFL, O_NONBLOCK); fcntl(x->out, F_SETFL, O_NONBLOCK); fcntl(x->err, F_SETFL, O_NONBLOCK);
    if (s->flags & X_STDIN_NULL) { close(x->in); x->in = -1; }
    x->deadline = s->timeout ? now_ms() + s->timeout : 0;
    if (x->cg[0]) {
        char f[128];
        snprintf(f, sizeof f, "%s/pids.events", cg_root);
        x->pids_max0 = read_counter(f, "max"); /* the exec cgroup's own counters are known: new, or pooled with them */
    }
    uint8_t p[4];
    be32(p, pid);
    send_frame(REP_STARTED, id, p, 4, NULL, 0);
}

static void do_exec(int type, uint32_t id, struct rd *r) {
    struct spec s = {0};
    if (type == REQ_EXEC) {
        s.flags = g32(r); s.uid = g32(r); s.gid = g32(r); s.keep = g64(r); s.timeout = g64(r);
        s.fsize = g64(r); s.nofile = g64(r);
        s.bpf = gblob(r, &s.nbpf);
        s.workdir = gstr(r); s.argv = glist(r); s.env = glist(r);
    } else { /* TAROUT / TARIN: busybox tar on a directory, as root, streaming through stdout / stdin */
        char *dir = gstr(r);
        s.bpf = gblob(r, &s.nbpf);
        const char *v[] = {busybox, "tar", type == REQ_TAROUT ? "-c" : "-x", "-f", "-", "-C", dir, type == REQ_TAROUT ? "." : NULL, NULL};
        s.argv = calloc(9, sizeof *s.argv);
        for (int i = 0; v[i]; i++) s.argv[i] = strdup(v[i]);
        free(dir);
        s.uid = UINT32_MAX; s.fsize = s.nofile = NONE64; s.flags = type == REQ_TAROUT ? X_STDIN_NULL : 0;
        s.workdir = strdup("/"); s.env = calloc(1, sizeof *s.env);
    }
    const char *what = type == REQ_EXEC ? "EXEC" : "TAR";
    if (r->bad || r->n) send_error(id, EINVAL, "%s: malformed payload", what);
    else if (!s.nbpf || s.nbpf % sizeof(struct sock_filter) || s.nbpf / sizeof(struct sock_filter) > BPF_MAXINSNS)
        send_error(id, EINVAL, "%s: the seccomp program has %u bytes; it must be 1 to %d instructions of %zu bytes (no command runs"
                   " without one)", what, s.nbpf, BPF_MAXINSNS, sizeof(struct sock_filter));
    else start_exec(id, &s);
    free(s.bpf); free(s.workdir); freelist(s.argv); freelist(s.env);
}

static void flush_stdin(struct ex *x) {
    while (x->in >= 0 && x->pn) {
        ssize_t w = write(x->in, x->pend, x->pn);
        if (w < 0 && errno == EAGAIN) return;
        if (w < 0) { x->pn = 0; break; } /* EPIPE: the process closed its stdin; drop the rest */
        memmove(x->pend, x->pend + w, x->pn - w);
        x->pn -= w;
    }
    if (x->in >= 0 && x->close_in && !x->pn) { close(x->in); x->in = -1; }
}

static void do_stdin(uint32_t id, const uint8_t *p, size_t n) {
    struct ex *x = find_ex(id);
    if (!x) { send_error(id, ESRCH, "STDIN: no exec with id %u", id); return; }
    if (x->in < 0) return; /* already closed: the process no longer reads */
    if (!n) x->close_in = 1;
    else if (x->pn + n > MAXPEND) { send_error(id, ENOBUFS, "STDIN: more than %u bytes unread by the process", MAXPEND); return; }
    else {
        uint8_t *b = realloc(x->pend, x->pn + n);
        if (!b) die("realloc");
        memcpy(b + x->pn, p, n);
        x->pend = b; x->pn += n;
    }
    flush_stdin(x);
}

/* ---------- files ---------- */

static void do_fread(uint32_t id, struct rd *r) {
    char *path = gstr(r);
    uint64_t limit = g64(r);
    static uint8_t buf[CHUNK * 4];
    struct stat st;
    int fd = -1;
    if (r->bad || r->n) { send_error(id, EINVAL, "FREAD: malformed payload"); goto out; }
    if ((fd = open_nolinks(path, O_RDONLY, 0)) < 0) { send_error(id, errno, "FREAD %s: %s", path, strerror(errno)); goto out; }
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        if (S_ISDIR(st.st_mode)) send_error(id, EISDIR, "FREAD %s: is a directory", path);
        else send_error(id, EINVAL, "FREAD %s: not a regular file", path);
        goto out;
    }
    if ((uint64_t) st.st_size > limit) { send_error(id, EFBIG, "FREAD %s: %lld bytes, over the limit of %llu", path, (long long) st.st_size, (unsigned long long) limit); goto out; }
    uint64_t total = 0;
    for (ssize_t n; (n = read(fd, buf, sizeof buf)) != 0;) {
        if (n < 0) { if (errno == EINTR) continue; send_error(id, errno, "FREAD %s: %s", path, strerror(errno)); goto out; }
        if ((total += n) > limit) { send_error(id, EFBIG, "FREAD %s: grew past the limit of %llu", path, (unsigned long long) limit); goto out; }
        send_frame(REP_DATA, id, buf, n, NULL, 0);
    }
    send_frame(REP_END, id, NULL, 0, NULL, 0);
out:
    if (fd >= 0) close(fd);
    free(path);
}

static void do_fwrite(uint32_t id, struct rd *r) {
    char *path = gstr(r);
    uint32_t flags = g32(r), mode = g32(r);
    int fd = -1;
    if (r->bad) { send_error(id, EINVAL, "FWRITE: malformed payload"); goto out; }
    if (flags & 2) {
        char *slash = strrchr(path, '/');
        if (slash && slash != path) { *slash = 0; int rc = mkdirs(path); *slash = '/'; if (rc) { send_error(id, errno, "FWRITE %s: creating parents: %s", path, strerror(errno)); goto out; } }
    }
    if ((fd = open_nolinks(path, O_WRONLY | O_CREAT | (flags & 1 ? O_APPEND : O_TRUNC), mode & 01777)) < 0) { /* never a set-id bit */
        send_error(id, errno, "FWRITE %s: %s", path, strerror(errno));
        goto out;
    }
    for (size_t off = 0; off < r->n;) {
        ssize_t w = write(fd, r->p + off, r->n - off);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) { send_error(id, errno, "FWRITE %s: %s", path, strerror(errno)); goto out; }
        off += w;
    }
    send_frame(REP_OK, id, NULL, 0, NULL, 0);
out:
    if (fd >= 0) close(fd);
    free(path);
}

/* FLIST's optional flags (absent in the first form of the request): 1 = each entry also carries its mtime */
enum { FLIST_MTIME = 1 };

static void do_flist(uint32_t id, struct rd *r) {
    char *path = gstr(r);
    uint32_t flags = r->n ? g32(r) : 0;
    static uint8_t out[MAXPAY];
    size_t n = 4, per = flags & FLIST_MTIME ? 17 : 9;
    uint32_t count = 0;
    int fd = -1;
    DIR *d = NULL;
    if (r->bad || r->n || (flags & ~FLIST_MTIME)) { send_error(id, EINVAL, "FLIST: malformed payload"); goto out; }
    if ((fd = open_nolinks(path, O_RDONLY | O_DIRECTORY, 0)) < 0 || !(d = fdopendir(fd))) {
        send_error(id, errno, "FLIST %s: %s", path, strerror(errno));
        goto out;
    }
    for (struct dirent *e; (e = readdir(d));) {
        struct stat st;
        size_t nl = strlen(e->d_name);
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW)) continue;
        if (n + 4 + nl + per > sizeof out) { be32(out, count); send_frame(REP_LIST, id, out, n, NULL, 0); n = 4; count = 0; }
        be32(out + n, nl); memcpy(out + n + 4, e->d_name, nl); n += 4 + nl;
        out[n++] = S_ISREG(st.st_mode) ? 0 : S_ISDIR(st.st_mode) ? 1 : S_ISLNK(st.st_mode) ? 2 : 3;
        be64(out + n, S_ISREG(st.st_mode) ? (uint64_t) st.st_size : 0); n += 8;
        if (flags & FLIST_MTIME) { /* ns since the epoch, two's complement for times before it */
            be64(out + n, (uint64_t) ((int64_t) st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec)); n += 8;
        }
        count++;
    }
    be32(out, count);
    send_frame(REP_LIST, id, out, n, NULL, 0);
    send_frame(REP_END, id, NULL, 0, NULL, 0);
out:
    if (d) closedir(d); else if (fd >= 0) close(fd);
    free(path);
}

static int rm_one(const char *p, const struct stat *st, int type, struct FTW *f) {
    (void) st; (void) f;
    return type == FTW_DP ? rmdir(p) : unlink(p);
}

/* FDELETE's optional flags (absent in the first form of the request): 1 = only a file, a symlink or an
 * empty directory (rmdir's ENOTEMPTY otherwise), never a tree */
enum { FDELETE_EMPTY_ONLY = 1 };

static void do_fdelete(uint32_t id, struct rd *r) {
    char *path = gstr(r);
    uint32_t flags = r->n ? g32(r) : 0;
    int fd = -1;
    struct stat st;
    /* the final component may be a symlink (it is removed, not followed); no component before it may be one */
    char *slash = strrchr(path, '/');
    if (slash && slash != path) { *slash = 0; fd = open_nolinks(path, O_PATH | O_DIRECTORY, 0); *slash = '/'; }
    if (r->bad || r->n || (flags & ~FDELETE_EMPTY_ONLY)) send_error(id, EINVAL, "FDELETE: malformed payload");
    else if (slash && slash != path && fd < 0) send_error(id, errno, "FDELETE %s: %s", path, strerror(errno));
    else if (flags & FDELETE_EMPTY_ONLY) {
        /* relative to the parent opened without links, so that no component can be swapped for a link */
        int dfd = fd >= 0 ? fd : AT_FDCWD;
        const char *name = fd >= 0 ? slash + 1 : path;
        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) || unlinkat(dfd, name, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0))
            send_error(id, errno, "FDELETE %s: %s", path, strerror(errno));
        else send_frame(REP_OK, id, NULL, 0, NULL, 0);
    }
    else if (nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS)) send_error(id, errno, "FDELETE %s: %s", path, strerror(errno));
    else send_frame(REP_OK, id, NULL, 0, NULL, 0);
    if (fd >= 0) close(fd);
    free(path);
}

/* ---------- main loop ---------- */

static void dispatch(int type, uint32_t id, const uint8_t *p, size_t n) {
    struct rd r = {p, n, 0};
    struct ex *x;
    switch (type) {
    case REQ_INIT: do_init(id, &r); break;
    case REQ_EXEC: case REQ_TAROUT: case REQ_TARIN: do_exec(type, id, &r); break;
    case REQ_STDIN: do_stdin(id, p, n); break;
    case REQ_KILL:
        if ((x = find_ex(id))) kill_tree(x);
        else send_error(id, ESRCH, "KILL: no exec with id %u", id);
        break;
    case REQ_FREAD: do_fread(id, &r); break;
    case REQ_FWRITE: do_fwrite(id, &r); break;
    case REQ_FLIST: do_flist(id, &r); break;
    case REQ_FDELETE: do_fdelete(id, &r); break;
    case REQ_PING: send_frame(REP_OK, id, p, n, NULL, 0); break;
    default: send_error(id, ENOSYS, "unknown frame type %d", type);
    }
}

/* Takes every whole frame from the input buffer; a bad header is reported once, then skipped byte by byte. */
static void parse_input(void) {
    static int resyncing;
    size_t at = 0;
    while (il - at >= HDR) {
        const uint8_t *h = ib + at;
        uint32_t len = (uint32_t) h[8] << 24 | (uint32_t) h[9] << 16 | (uint32_t) h[10] << 8 | h[11];
        if (((unsigned) h[0] << 8 | h[1]) != MAGIC || h[3] != 0 || len > MAXPAY) {
            if (!resyncing) send_error(0, EPROTO, "malformed frame header (magic %02x%02x, flags %u, length %u); skipping to the next frame", h[0], h[1], h[3], len);
            resyncing = 1;
            at++;
            continue;
        }
        if (il - at < HDR + len) break;
        resyncing = 0;
        dispatch(h[2], (uint32_t) h[4] << 24 | (uint32_t) h[5] << 16 | (uint32_t) h[6] << 8 | h[7], h + HDR, len);
        at += HDR + len;
    }
    memmove(ib, ib + at, il - at);
    il -= at;
}

static void reap(void) {
    int st;
    struct rusage ru;
    for (pid_t pid; (pid = wait4(-1, &st, WNOHANG, &ru)) > 0;) {
        for (int i = 0; i < MAXEX; i++) {
            struct ex *x = &ex[i];
            if (!x->used || x->exited || x->pid != pid) continue;
            x->exited = 1;
            uint8_t p[4 + 4 + 4 + 8 + 8 + 8];
            char f[128];
            uint32_t fl = x->timed_out ? 1 : 0;
            snprintf(f, sizeof f, "%s/memory.events", x->cg);
            if (x->cg[0] && read_counter(f, "oom_kill") > x->oom0) fl |= 2;
            snprintf(f, sizeof f, "%s/pids.events", x->cg); /* 6.1 counts a refused fork in the forker's cgroup */
            if (x->cg[0] && read_counter(f, "max") > x->pids0) fl |= 4;
            snprintf(f, sizeof f, "%s/pids.events", cg_root);
            if (x->cg[0] && read_counter(f, "max") > x->pids_max0) fl |= 4;
            be32(p, WIFSIGNALED(st) ? 1 : 0);
            be32(p + 4, WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
            be32(p + 8, fl);
            be64(p + 12, (uint64_t) ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec);
            be64(p + 20, (uint64_t) ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec);
            be64(p + 28, (uint64_t) ru.ru_maxrss);
            send_frame(REP_EXIT, x->id, p, sizeof p, NULL, 0);
        }
    }
}

static void pump(struct ex *x, int *fd, int type) {
    static uint8_t buf[CHUNK];
    ssize_t n = read(*fd, buf, sizeof buf);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n > 0) { send_frame(type, x->id, buf, n, NULL, 0); return; }
    close(*fd);
    *fd = -1;
    send_frame(type, x->id, NULL, 0, NULL, 0); /* empty: end of this stream */
}

int main(int argc, char **argv) {
    init_mode = getpid() == 1;
    if (!init_mode && (argc < 2 || strcmp(argv[1], "--stdio"))) {
        dprintf(2, "usage: %s --stdio [busybox]   (test mode: the protocol on stdin/stdout)\n"
                   "As PID 1 it boots the sandbox VM and serves the virtio-serial port sandbox4j.agent.\n", argv[0]);
        return 2;
    }
    if (!init_mode && argc > 2) busybox = argv[2];
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    sigaddset(&mask, SIGPIPE);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    sigdelset(&mask, SIGPIPE);
    int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0) die("signalfd");
    if (init_mode) boot();
    int cfd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
    if (cfd >= 0) {
        char b[16] = "";
        if (read(cfd, b, sizeof b - 1) > 0 && atoi(b) > 0 && atoi(b) < 64) last_cap = atoi(b);
        close(cfd);
    }
    if (init_mode) arm_standby();
    char rel[128] = "test";
    int rfd = open("/proc/sys/kernel/osrelease", O_RDONLY | O_CLOEXEC);
    if (rfd >= 0) { ssize_t n = read(rfd, rel, sizeof rel - 1); close(rfd); rel[n > 0 ? n - 1 : 0] = 0; }
    uint8_t ready[256];
    size_t vl = strlen(VERSION), rl = strlen(rel);
    be32(ready, vl); memcpy(ready + 4, VERSION, vl); be32(ready + 4 + vl, rl); memcpy(ready + 8 + vl, rel, rl);
    send_frame(REP_READY, 0, ready, 8 + vl + rl, NULL, 0);
    for (;;) {
        struct pollfd pf[2 + 3 * MAXEX];
        struct ex *owner[2 + 3 * MAXEX];
        int np = 0, timeout = -1;
        uint64_t now = now_ms();
        pf[np++] = (struct pollfd) {in_fd, POLLIN, 0};
        pf[np++] = (struct pollfd) {sfd, POLLIN, 0};
        for (int i = 0; i < MAXEX; i++) {
            struct ex *x = &ex[i];
            if (!x->used) continue;
            if (x->deadline && !x->timed_out) {
                if (x->deadline <= now) { x->timed_out = 1; kill_tree(x); }
                else if (timeout < 0 || x->deadline - now < (uint64_t) timeout) timeout = (int) (x->deadline - now);
            }
            if (x->out >= 0) owner[np] = x, pf[np++] = (struct pollfd) {x->out, POLLIN, 0};
            if (x->err >= 0) owner[np] = x, pf[np++] = (struct pollfd) {x->err, POLLIN, 0};
            if (x->in >= 0 && x->pn) owner[np] = x, pf[np++] = (struct pollfd) {x->in, POLLOUT, 0};
        }
        if (poll(pf, np, timeout) < 0) { if (errno == EINTR) continue; die("poll"); }
        if (pf[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = read(in_fd, ib + il, sizeof ib - il);
            if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
                if (!init_mode) return 0; /* test mode: the host closed the pipe */
                usleep(10000); /* the host side of the port is not connected; wait for it */
            } else if (n > 0) {
                il += n;
                parse_input();
            }
        }
        if (pf[1].revents & POLLIN) {
            struct signalfd_siginfo si;
            while (read(sfd, &si, sizeof si) > 0) {}
            reap();
        }
        for (int i = 2; i < np; i++) {
            struct ex *x = owner[i];
            if (!pf[i].revents) continue;
            if (pf[i].fd == x->out) pump(x, &x->out, REP_STDOUT);
            else if (pf[i].fd == x->err) pump(x, &x->err, REP_STDERR);
            else if (pf[i].fd == x->in) {
                if (pf[i].revents & (POLLERR | POLLHUP)) x->pn = 0, x->close_in = 1;
                flush_stdin(x);
            }
        }
        reap();
        for (int i = 0; i < MAXEX; i++) {
            struct ex *x = &ex[i];
            if (!x->used || !x->exited || x->out >= 0 || x->err >= 0) continue;
            if (x->in >= 0) close(x->in);
            if (x->cg[0]) {
                char f[128];
                snprintf(f, sizeof f, "%s/cgroup.events", x->cg);
                long pids = -1, oom = -1;
                if (read_counter(f, "populated") == 0 && cg_free < 16) {
                    /* empty: nothing can count any more until the next exec, so these are its baselines */
                    snprintf(f, sizeof f, "%s/pids.events", x->cg);
                    pids = read_counter(f, "max");
                    snprintf(f, sizeof f, "%s/memory.events", x->cg);
                    oom = read_counter(f, "oom_kill");
                }
                if (pids >= 0 && oom >= 0) {
                    memcpy(cg_pool[cg_free].cg, x->cg, sizeof x->cg);
                    cg_pool[cg_free].pids = pids;
                    cg_pool[cg_free++].oom = oom;
                } else {
                    rmdir(x->cg); /* fails while daemons of this exec live on; they die with the VM */
                }
            }
            free(x->pend);
            memset(x, 0, sizeof *x);
        }
    }
}
