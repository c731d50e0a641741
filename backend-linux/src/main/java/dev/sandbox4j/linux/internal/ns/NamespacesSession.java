package dev.sandbox4j.linux.internal.ns;

import dev.sandbox4j.ExecException;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.ResourceUsage;
import dev.sandbox4j.SandboxStartException;
import dev.sandbox4j.linux.internal.cgroup.CgroupSandbox;
import dev.sandbox4j.linux.internal.host.ArgsFile;
import dev.sandbox4j.linux.internal.host.LauncherBinary;
import dev.sandbox4j.linux.internal.host.LauncherStandby;
import dev.sandbox4j.linux.internal.host.PrivateDirs;
import dev.sandbox4j.linux.internal.plan.HostFacts;
import dev.sandbox4j.linux.internal.plan.SandboxPlan;
import dev.sandbox4j.linux.internal.plan.Step;
import dev.sandbox4j.linux.internal.rlimit.Rlimits;
import dev.sandbox4j.spi.BackendSession;
import dev.sandbox4j.spi.ProcessRequest;
import dev.sandbox4j.spi.SandboxProcess;
import dev.sandbox4j.spi.SandboxSpec;
import dev.sandbox4j.spi.SessionLabels;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * One namespaces sandbox: its private directory (generated /etc files, the seccomp program, one
 * arguments file per exec), its cgroups, the pins of the host paths it binds besides the core's (image
 * paths, generated files) and its session plan; each exec is one s4j-launch run with fresh namespaces, the
 * sandbox's own host ids, and every bind source verified against its pin. {@link #close()} kills every exec,
 * the cgroups' processes with them, and removes the cgroups and the private directory. Thread-safe.
 */
final class NamespacesSession implements BackendSession {
    /** The {@code kind} of the private directory's name ({@link SessionLabels#hostName}). */
    static final String KIND = "ns";
    /** Starts standby launchers off the callers' threads (the namespaces launcher watches the JVM by pidfd). */
    private static final ExecutorService STANDBY_STARTER = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "sandbox4j-namespaces-standby");
        t.setDaemon(true);
        return t;
    });

    private final SandboxSpec spec;
    private final Path privateDir;
    private final CgroupSandbox cgroup;
    private final SandboxPlan sessionPlan;
    private final LauncherArgs.Context context;
    private final HostFacts.Holding pins;
    private final String workspaceInside;
    private final LauncherStandby standby;
    /** Every exec whose launcher or namespace may still be alive. */
    private final Set<LauncherProcess> live = ConcurrentHashMap.newKeySet();
    private final AtomicLong execs = new AtomicLong();
    /** Spawns share it; close takes it alone, so no exec can start after close() killed the rest. */
    private final ReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private boolean closed;

    private NamespacesSession(SandboxSpec spec, Path privateDir, CgroupSandbox cgroup, SandboxPlan plan,
                              LauncherArgs.Context context, LauncherStandby standby, HostFacts.Holding pins) {
        this.pins = pins;
        this.standby = standby;
        this.spec = spec;
        this.privateDir = privateDir;
        this.cgroup = cgroup;
        this.sessionPlan = plan;
        this.context = context;
        this.workspaceInside = LauncherArgs.workspaceInside(plan);
    }

    /**
     * Makes the session: checks the limits, makes the private directory and the cgroups, plans.
     *
     * @throws SandboxStartException naming what failed (a limit this host cannot enforce, a cgroup, the
     *                               launcher); nothing is left behind then
     */
    static NamespacesSession open(SandboxSpec spec) {
        IsolationPolicy policy = spec.policy();
        refuseRootHostIds(spec);
        Path launcher = LauncherBinary.verifiedPath();
        Rlimits.checkEnforceable(Rlimits.plan(policy.limits()));
        Path dir = PrivateDirs.create(tempRoot(), KIND, spec.sandboxId(), "rwx------");
        CgroupSandbox cgroup = null;
        LauncherStandby standby = null;
        HostFacts.Holding pins = new HostFacts.Holding();
        try {
            cgroup = CgroupSandbox.create("namespaces", SessionLabels.hostName("cg", spec.sandboxId()),
                    SandboxPlan.cgroupLimits(policy).asResourceLimits());
            // the first exec's launcher joins the cgroups now, while the rest of the sandbox is prepared
            standby = new LauncherStandby(cgroup.joinFiles());
            List<Path> joined = standby.cgroupProcs();
            standby.arm(() -> startStandby(launcher, joined));
            SandboxPlan plan = SandboxPlan.session(spec, HostFacts.current(dir, cgroup.joinFiles(), pins));
            Path bpf = dir.resolve("seccomp.bpf");
            for (Step.Seccomp s : plan.stepsOf(Step.Seccomp.class)) {
                Files.write(bpf, s.program().bpf(), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            }
            LauncherArgs.Context context = new LauncherArgs.Context(ProcessHandle.current().pid(), bpf);
            return new NamespacesSession(spec, dir, cgroup, plan, context, standby, pins);
        } catch (IOException e) {
            cleanUp(standby, cgroup, dir, pins);
            throw new SandboxStartException("namespaces: writing the sandbox's files into " + dir + " failed: " + e, e);
        } catch (RuntimeException e) {
            cleanUp(standby, cgroup, dir, pins);
            throw e;
        }
    }

    /** java.io.tmpdir without a link in its path: the generated files made under it are pinned, which refuses links. */
    private static Path tempRoot() {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        try {
            return tmp.toRealPath();
        } catch (IOException e) {
            throw new SandboxStartException("namespaces: java.io.tmpdir (" + tmp + "), where the sandbox's private directory"
                    + " goes, cannot be resolved: " + e + "; give an existing directory with -Djava.io.tmpdir", e);
        }
    }

    /**
     * Refuses host ids of root's: the sandbox's user namespace maps its user onto them, and a sandbox must
     * never be root on the host (a root JVM's core allocates the sandbox's own ids; see {@code HostIds}).
     */
    static void refuseRootHostIds(SandboxSpec spec) {
        if (spec.host().ids().uid() == 0 || spec.host().ids().gid() == 0) {
            throw new SandboxStartException("namespaces: the sandbox " + spec.sandboxId() + " would run as the host's root ("
                    + spec.host().ids() + "); a root JVM gives each sandbox host ids of its own (the core's range), so"
                    + " this spec was not prepared by the core: build the sandbox through Sandbox.builder()");
        }
    }

    private static void cleanUp(LauncherStandby standby, CgroupSandbox cgroup, Path dir, HostFacts.Holding pins) {
        if (standby != null) {
            standby.discard();
        }
        if (cgroup != null) {
            cgroup.close();
        }
        pins.close();
        PrivateDirs.delete(dir);
    }

    @Override
    public String workspacePath() {
        return workspaceInside;
    }

    @Override
    public SandboxProcess spawn(ProcessRequest request) {
        lifecycle.readLock().lock();
        try {
            if (closed) {
                throw new ExecException("namespaces: the sandbox " + spec.sandboxId() + " is closed; build a new one");
            }
            SandboxPlan plan = sessionPlan.forExec(request);
            long n = execs.incrementAndGet();
            Path argsFile = privateDir.resolve("args-" + n);
            LauncherProcess p;
            try {
                Optional<Process> warm = takeStandby(plan);
                if (warm.isPresent()) {
                    // the standby joined the cgroups already: the same plan without that step
                    SandboxPlan rest = new SandboxPlan(plan.steps().stream().filter(s -> !(s instanceof Step.JoinCgroups)).toList(),
                            plan.generatedFiles());
                    ArgsFile.write(argsFile, LauncherArgs.of(rest, context), "namespaces: the launcher's arguments");
                    if (!LauncherStandby.release(warm.get(), argsFile)) {
                        deleteQuietly(argsFile);
                        warm = Optional.empty();
                    }
                }
                if (warm.isPresent()) {
                    p = LauncherProcess.follow(warm.get(), request.argv(), plan, this::afterExit);
                } else {
                    ArgsFile.write(argsFile, LauncherArgs.of(plan, context), "namespaces: the launcher's arguments");
                    // checked again before every use: the cache directory is ours, but a copy replaced by hand is not run
                    Path verified = LauncherBinary.verifiedPath();
                    ProcessBuilder pb = new ProcessBuilder(verified.toString(), "--args", argsFile.toString()).directory(new File("/"));
                    pb.environment().clear();
                    p = LauncherProcess.start(pb, request.argv(), plan, this::afterExit);
                }
                if (n >= 2) {
                    // a session that runs more than one exec likely runs more: keep the next one warm
                    Path verified = LauncherBinary.verifiedPath();
                    standby.arm(() -> startStandby(verified, standby.cgroupProcs()));
                }
            } finally {
                deleteQuietly(argsFile); // the launcher deletes it once read; this covers a launcher that never read it
            }
            live.removeIf(old -> !old.anythingAlive());
            live.add(p);
            return p;
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    /** The armed standby when it joined the cgroups this plan joins (always, but checked), else nothing. */
    private Optional<Process> takeStandby(SandboxPlan plan) {
        List<Path> procs = plan.stepsOf(Step.JoinCgroups.class).stream().flatMap(j -> j.procsFiles().stream()).toList();
        if (!procs.equals(standby.cgroupProcs())) {
            standby.discard();
            return Optional.empty();
        }
        return standby.take();
    }

    /**
     * Starts {@code s4j-launch --standby} (see standby_wait in s4j-launch.c) off the caller's thread. No
     * PR_SET_PDEATHSIG is needed: its stdin reaches EOF when the JVM ends, and then it exits.
     */
    private static CompletableFuture<Process> startStandby(Path launcher, List<Path> cgroupProcs) {
        return LauncherStandby.start(launcher, "--standby", cgroupProcs, STANDBY_STARTER);
    }

    /** Reports what the cgroups saw during the exec (shared by concurrent execs of this sandbox). */
    private ResourceUsage afterExit(int code) {
        if (cgroup.memoryLimitHit()) {
            spec.events().violation("limits.memory", "a process was killed at the memory limit of "
                    + spec.policy().limits().memory().map(Object::toString).orElse("?") + " (exit " + code + ")");
        }
        if (cgroup.pidsLimitHit()) {
            spec.events().violation("limits.pids", "a fork or clone failed at the limit of "
                    + spec.policy().limits().pids().orElse(0) + " processes");
        }
        return new ResourceUsage(Optional.empty(), cgroup.peakMemory());
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // inside the private directory, which close() removes
        }
    }

    @Override
    public void close() {
        lifecycle.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
        } finally {
            lifecycle.writeLock().unlock();
        }
        List<LauncherProcess> all = List.copyOf(live);
        for (LauncherProcess p : all) {
            // an exec whose launcher and pid 1 both ended has no namespace left: nothing to kill, and no
            // need for killTree()'s scan of every host process
            if (!p.provablyGone()) {
                p.killTree();
            }
        }
        // before the cgroups go: an unused standby must not join them after their kill
        standby.discard();
        cgroup.close();
        for (LauncherProcess p : all) {
            p.awaitGone(java.time.Duration.ofSeconds(5));
        }
        pins.close();
        PrivateDirs.delete(privateDir);
    }

    /** Removes the private directories of sandboxes whose JVM is gone, and their cgroups. */
    static List<String> reap() {
        List<String> out = new java.util.ArrayList<>(CgroupSandbox.reap());
        out.addAll(PrivateDirs.reap(Path.of(System.getProperty("java.io.tmpdir")), KIND));
        return out;
    }
}
