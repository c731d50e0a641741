package dev.sandbox4j.linux.internal.cgroup;

import dev.sandbox4j.DataSize;
import dev.sandbox4j.ResourceLimits;
import dev.sandbox4j.SandboxStartException;
import dev.sandbox4j.UnsupportedPolicyException;
import dev.sandbox4j.spi.Availability;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The cgroups of one sandbox: its memory, CPU and pids limits, its membership (for killing every process
 * of it, fork bombs included) and its usage.
 *
 * <p><b>Where.</b> cgroup v2 when this JVM's v2 cgroup (or the nearest writable ancestor) already delegates
 * every needed controller in its {@code cgroup.subtree_control}; otherwise cgroup v1, one directory per
 * needed controller below this JVM's own cgroup in that hierarchy. In v1 mode a v1 freezer cgroup is made as
 * well for killing (freeze, SIGKILL every member, thaw: a frozen fork bomb cannot fork); only without a
 * writable freezer hierarchy is a v2 cgroup made instead, purely for membership and {@code cgroup.kill} (on
 * a hybrid host the v2 tree has no controllers but cgroup.kill works). The freezer is preferred because v1
 * cgroups can be joined without the RCU grace period that a v2 join costs (see {@link #joinFiles()}).
 * Every directory is named {@code name} (from {@code SessionLabels.hostName("cg", sandboxId)}) so that
 * {@link #reap()} can find leftovers of a JVM that died.
 *
 * <p><b>Joining.</b> The launcher makes the sandbox's first process write its own pid into every file of
 * {@link #procsFiles()} before it execs anything (the bubblewrap launcher does it in its {@code /bin/sh}
 * wrapper: {@code for f; do echo $$ > "$f"; done; exec ...}); everything it starts inherits the cgroups.
 * A single-threaded launcher can use {@link #joinFiles()} instead, which is cheaper.
 *
 * <p><b>Limits.</b> memory: v1 {@code memory.limit_in_bytes} and {@code memory.memsw.limit_in_bytes} (so swap
 * cannot extend it) when swap accounting exists; v2 {@code memory.max} and {@code memory.swap.max=0}.
 * cpus: v1 {@code cpu.cfs_quota_us} per {@code cpu.cfs_period_us=100000}; v2 {@code cpu.max}. pids: {@code pids.max}.
 * A requested limit whose controller cannot be had is refused with a {@link SandboxStartException}; when no
 * limit is requested and no cgroup can be made the instance is {@linkplain #isEmpty() empty}.
 *
 * <p>Thread-safe.
 */
public final class CgroupSandbox implements AutoCloseable {
    /** The v1 controllers this class uses. */
    static final Set<String> V1_CONTROLLERS = Set.of("memory", "pids", "cpu", "freezer");
    static final long CPU_PERIOD_US = 100_000;

    private final String name;
    private final Map<String, Path> v1;
    private final Path v2;
    private final boolean v2Limits;
    private long oomKillsSeen;
    private long pidsMaxSeen;
    private boolean closed;

    private CgroupSandbox(String name, Map<String, Path> v1, Path v2, boolean v2Limits) {
        this.name = name;
        this.v1 = Map.copyOf(v1);
        this.v2 = v2;
        this.v2Limits = v2Limits;
        this.oomKillsSeen = oomKills().orElse(0);
        this.pidsMaxSeen = pidsMaxEvents().orElse(0);
    }

    /** What this host allows: which cgroups a sandbox of this JVM can get. Never throws. */
    public static Availability probe() {
        try {
            CgroupMounts m = CgroupMounts.read();
            Optional<Path> v2 = m.v2Own().flatMap(own -> v2Delegating(m, own, Set.of("memory", "pids", "cpu")));
            if (v2.isPresent()) {
                return Availability.available("cgroup v2 at " + v2.get() + " (memory, pids, cpu)");
            }
            List<String> v1 = m.v1Own().entrySet().stream().filter(e -> Files.isWritable(e.getValue()))
                    .map(Map.Entry::getKey).sorted().toList();
            boolean v2Kill = m.v2Own().filter(Files::isWritable).map(p -> Files.exists(p.resolve("cgroup.kill"))).orElse(false);
            if (v1.containsAll(List.of("memory", "pids", "cpu"))) {
                return Availability.available("cgroup v1 " + v1 + (v2Kill ? " + cgroup2 cgroup.kill" : ""));
            }
            return Availability.unavailable("no writable cgroup with the memory, pids and cpu controllers (v1 writable: "
                    + v1 + ", v2: " + m.v2Own().map(Path::toString).orElse("not mounted") + ")",
                    "run the JVM as root, or in a delegated cgroup v2 subtree with memory, pids and cpu enabled"
                    + " (systemd-run --user --scope -p Delegate=yes java ...)");
        } catch (RuntimeException e) {
            return Availability.unavailable("reading the cgroup mounts failed: " + e, "check /proc/self/mountinfo");
        }
    }

    /**
     * Makes the cgroups of one sandbox with {@code limits} (only memory, cpus and pids are cgroup business).
     *
     * @param name a name from {@code SessionLabels.hostName("cg", sandboxId)}
     * @throws UnsupportedPolicyException when a requested limit's controller is unavailable to this JVM
     * @throws SandboxStartException       when a write fails; nothing is left behind then
     */
    public static CgroupSandbox create(String backend, String name, ResourceLimits limits) {
        if (name.contains("/") || name.startsWith(".")) {
            throw new IllegalArgumentException("cgroup name '" + name + "' is not a single path segment");
        }
        Set<String> needed = new LinkedHashSet<>();
        limits.memory().ifPresent(x -> needed.add("memory"));
        limits.cpus().ifPresent(x -> needed.add("cpu"));
        limits.pids().ifPresent(x -> needed.add("pids"));
        CgroupMounts m = CgroupMounts.read();
        List<Path> made = new ArrayList<>();
        try {
            Optional<Path> v2Parent = needed.isEmpty() ? Optional.empty()
                    : m.v2Own().flatMap(own -> v2Delegating(m, own, needed));
            if (v2Parent.isPresent()) {
                Path dir = mkdir(v2Parent.get().resolve(name), made);
                applyV2(dir, limits);
                return new CgroupSandbox(name, Map.of(), dir, true);
            }
            Map<String, Path> v1 = new LinkedHashMap<>();
            for (String c : needed) {
                Path parent = m.v1Own().get(c);
                if (parent == null || !Files.isWritable(parent)) {
                    throw unavailable(backend, c, limits, parent == null ? "no v1 '" + c + "' hierarchy is mounted and no cgroup v2"
                            + " subtree delegates it" : parent + " is not writable by this user");
                }
                v1.put(c, mkdir(parent.resolve(name), made));
            }
            Path v2 = null;
            if (m.v1Own().containsKey("freezer") && Files.isWritable(m.v1Own().get("freezer"))) {
                v1.put("freezer", mkdir(m.v1Own().get("freezer").resolve(name), made));
            } else {
                v2 = m.v2Own().filter(Files::isWritable).map(p -> tryMkdir(p.resolve(name), made)).orElse(null);
            }
            applyV1(v1, limits);
            return new CgroupSandbox(name, v1, v2, false);
        } catch (RuntimeException e) {
            for (int i = made.size() - 1; i >= 0; i--) {
                try {
                    Files.deleteIfExists(made.get(i));
                } catch (IOException ignored) {
                    // the reaper removes it later; the original failure is what the caller needs
                }
            }
            throw e;
        }
    }

    /** The name every directory of this sandbox has. */
    public String name() {
        return name;
    }

    /** True when no cgroup was made (no limit was asked for and none could be made). */
    public boolean isEmpty() {
        return v1.isEmpty() && v2 == null;
    }

    /** The cgroup.procs files the sandbox's first process writes its pid into before it execs anything. */
    public List<Path> procsFiles() {
        List<Path> out = new ArrayList<>();
        v1.values().forEach(d -> out.add(d.resolve("cgroup.procs")));
        if (v2 != null) {
            out.add(v2.resolve("cgroup.procs"));
        }
        return out;
    }

    /**
     * The files a single-threaded process joins the cgroups through: {@code tasks} of every v1 directory,
     * into which it writes {@code 0} (the writing thread, which is the whole process), and
     * {@code cgroup.procs} of a v2 one, into which it writes its pid. Why: a write of a pid, or into any
     * {@code cgroup.procs}, takes the kernel's cgroup_threadgroup_rwsem for writing, which waits for an RCU
     * grace period (5 to 15 ms on a busy host, the largest single cost of an exec); moving the calling
     * thread through v1 {@code tasks} with {@code 0} needs no such lock. A process with more threads
     * must use {@link #procsFiles()}: {@code tasks} would move only the writing thread.
     */
    public List<Path> joinFiles() {
        List<Path> out = new ArrayList<>();
        v1.values().forEach(d -> out.add(d.resolve("tasks")));
        if (v2 != null) {
            out.add(v2.resolve("cgroup.procs"));
        }
        return out;
    }

    /** Every directory made, for messages and tests. */
    public List<Path> directories() {
        List<Path> out = new ArrayList<>(v1.values());
        if (v2 != null) {
            out.add(v2);
        }
        return out;
    }

    /** Kills every process in the cgroups and waits (bounded, 10 s) until none is left. */
    public void killAll() {
        Path any = v1.values().stream().findFirst().orElse(null);
        CgroupKiller.killAll(v2, v1.get("freezer"), any);
    }

    /** The highest memory use of the sandbox's processes together, when a memory cgroup was made. */
    public Optional<DataSize> peakMemory() {
        OptionalLong bytes = v2Limits ? CgroupFiles.readLong(v2.resolve("memory.peak"))
                : v1.containsKey("memory") ? CgroupFiles.readLong(v1.get("memory").resolve("memory.max_usage_in_bytes"))
                : OptionalLong.empty();
        return bytes.isPresent() ? Optional.of(DataSize.ofBytes(bytes.getAsLong())) : Optional.empty();
    }

    /** True when the memory limit killed a process (an OOM kill) since the previous call or creation. */
    public synchronized boolean memoryLimitHit() {
        long now = oomKills().orElse(oomKillsSeen);
        boolean hit = now > oomKillsSeen;
        oomKillsSeen = now;
        return hit;
    }

    /** True when a fork or clone failed at the pids limit since the previous call or creation. */
    public synchronized boolean pidsLimitHit() {
        long now = pidsMaxEvents().orElse(pidsMaxSeen);
        boolean hit = now > pidsMaxSeen;
        pidsMaxSeen = now;
        return hit;
    }

    /** Kills every process and removes every directory. Idempotent; never throws. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        boolean empty = CgroupKiller.killAll(v2, v1.get("freezer"), v1.values().stream().findFirst().orElse(null));
        for (Path d : directories()) {
            // the common case in one rmdir: an emptied cgroup without children (the sandbox cannot make
            // any: no cgroupfs in its view). Anything else (a straggler, a child cgroup, EBUSY while the
            // kernel still tears a member down) goes the reaper's thorough way: walk, kill, retry.
            if (!empty || !tryRmdir(d)) {
                CgroupReaper.remove(d);
            }
        }
    }

    /**
     * Removes the cgroups of sandboxes whose JVM no longer runs, killing what is left in them.
     *
     * @return one line per directory removed
     */
    public static List<String> reap() {
        return CgroupReaper.reap(CgroupMounts.read());
    }

    @Override
    public String toString() {
        return isEmpty() ? "no cgroup" : "cgroups " + directories();
    }

    private OptionalLong oomKills() {
        if (v2Limits) {
            return CgroupFiles.readKey(v2.resolve("memory.events"), "oom_kill");
        }
        Path mem = v1.get("memory");
        if (mem == null) {
            return OptionalLong.empty();
        }
        OptionalLong kills = CgroupFiles.readKey(mem.resolve("memory.oom_control"), "oom_kill");
        return kills.isPresent() ? kills : CgroupFiles.readLong(mem.resolve("memory.failcnt"));
    }

    private OptionalLong pidsMaxEvents() {
        Path dir = v2Limits ? v2 : v1.get("pids");
        return dir == null ? OptionalLong.empty() : CgroupFiles.readKey(dir.resolve("pids.events"), "max");
    }

    /** The own v2 cgroup or its nearest ancestor that is writable and already delegates {@code needed}. */
    private static Optional<Path> v2Delegating(CgroupMounts m, Path own, Set<String> needed) {
        Path mount = m.v2Mount().orElse(own);
        for (Path p = own; p != null && p.startsWith(mount); p = p.getParent()) {
            Optional<String> control = CgroupFiles.read(p.resolve("cgroup.subtree_control"));
            if (Files.isWritable(p) && control.isPresent()
                    && Set.of(control.get().split("\\s+")).containsAll(needed)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    private static void applyV2(Path dir, ResourceLimits limits) {
        limits.memory().ifPresent(mem -> {
            CgroupFiles.write(dir.resolve("memory.max"), Long.toString(mem.bytes()));
            if (Files.exists(dir.resolve("memory.swap.max"))) {
                CgroupFiles.write(dir.resolve("memory.swap.max"), "0");
            }
        });
        limits.cpus().ifPresent(c -> CgroupFiles.write(dir.resolve("cpu.max"), quota(c) + " " + CPU_PERIOD_US));
        limits.pids().ifPresent(p -> CgroupFiles.write(dir.resolve("pids.max"), Integer.toString(p)));
    }

    private static void applyV1(Map<String, Path> v1, ResourceLimits limits) {
        limits.memory().ifPresent(mem -> {
            Path dir = v1.get("memory");
            CgroupFiles.write(dir.resolve("memory.limit_in_bytes"), Long.toString(mem.bytes()));
            // memsw >= limit must hold at every moment, so it is written after the plain limit
            if (Files.exists(dir.resolve("memory.memsw.limit_in_bytes"))) {
                CgroupFiles.write(dir.resolve("memory.memsw.limit_in_bytes"), Long.toString(mem.bytes()));
            }
        });
        limits.cpus().ifPresent(c -> {
            Path dir = v1.get("cpu");
            CgroupFiles.write(dir.resolve("cpu.cfs_period_us"), Long.toString(CPU_PERIOD_US));
            CgroupFiles.write(dir.resolve("cpu.cfs_quota_us"), Long.toString(quota(c)));
        });
        limits.pids().ifPresent(p -> CgroupFiles.write(v1.get("pids").resolve("pids.max"), Integer.toString(p)));
    }

    /** CPU microseconds per period; the kernel's floor is 1000. */
    static long quota(double cpus) {
        return Math.max(1000, Math.round(cpus * CPU_PERIOD_US));
    }

    private static Path mkdir(Path dir, List<Path> made) {
        try {
            Files.createDirectory(dir);
        } catch (IOException e) {
            throw new SandboxStartException("cgroup: creating " + dir + " failed: " + e
                    + "; run the JVM as root or in a delegated cgroup subtree", e);
        }
        made.add(dir);
        return dir;
    }

    private static boolean tryRmdir(Path dir) {
        try {
            Files.delete(dir);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static Path tryMkdir(Path dir, List<Path> made) {
        try {
            Files.createDirectory(dir);
            made.add(dir);
            return dir;
        } catch (IOException e) {
            return null;
        }
    }

    /** A limit this host cannot enforce for this JVM: refused like any part a backend cannot enforce. */
    private static UnsupportedPolicyException unavailable(String backend, String controller, ResourceLimits limits, String why) {
        String[] part = switch (controller) {
            case "memory" -> new String[] {"limits.memory=" + limits.memory().orElseThrow(), "MEMORY_LIMIT", "noMemoryLimit()"};
            case "cpu" -> new String[] {"limits.cpus=" + limits.cpus().orElseThrow(), "CPU_LIMIT", "noCpuLimit()"};
            default -> new String[] {"limits.pids=" + limits.pids().orElseThrow(), "PIDS_LIMIT", "noPidsLimit()"};
        };
        return new UnsupportedPolicyException(backend, List.of(new UnsupportedPolicyException.Part(part[0], part[1],
                List.of())), backend + " cannot enforce " + part[0] + " here: no '" + controller + "' cgroup can be made: "
                + why + ". Run the JVM as root, or in a delegated cgroup v2 subtree with the " + controller
                + " controller (systemd-run --user --scope -p Delegate=yes java ...), or remove the limit (" + part[2] + ").");
    }
}
