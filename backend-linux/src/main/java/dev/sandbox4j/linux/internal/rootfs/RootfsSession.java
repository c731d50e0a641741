package dev.sandbox4j.linux.internal.rootfs;

import dev.sandbox4j.ExecException;
import dev.sandbox4j.ResourceUsage;
import dev.sandbox4j.SandboxStartException;
import dev.sandbox4j.linux.internal.cgroup.CgroupSandbox;
import dev.sandbox4j.linux.internal.host.LauncherBinary;
import dev.sandbox4j.linux.internal.host.PrivateDirs;
import dev.sandbox4j.linux.internal.plan.HostFacts;
import dev.sandbox4j.linux.internal.plan.SandboxPlan;
import dev.sandbox4j.spi.BackendSession;
import dev.sandbox4j.spi.ProcessRequest;
import dev.sandbox4j.spi.SandboxProcess;
import dev.sandbox4j.spi.SandboxSpec;
import dev.sandbox4j.spi.SessionLabels;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What a chroot and an nspawn sandbox share: a private host directory, the sandbox's cgroups (limits for
 * all its execs together, and membership for killing), the pins of the host paths it binds besides the
 * core's (image paths, generated files, the guard's directory), the root file system built once by a
 * {@link RootHolder} ({@code s4j-launch --build-root}) in a private mount namespace from the engine's
 * {@link SandboxPlan}, one {@link ExecCgroup} per exec, and a close that leaves nothing: every process killed
 * through the cgroups, the cgroups removed, the namespace gone with its holder, the pins released, the private
 * directory deleted. Subclasses turn one exec into the argv of its chain. Thread-safe.
 */
public abstract class RootfsSession implements BackendSession {
    private static final long CLOSE_WAIT_SECONDS = 5;

    /**
     * How a subclass lays out its root, decided once its private directory and cgroups exist.
     *
     * @param plan             the engine's plan, with what the subclass adds (nspawn's user database)
     * @param extraCleanupDirs directories the holder removes with the cgroups (an engine's cgroup mirrors)
     */
    public record Layout(SandboxPlan plan, List<Path> extraCleanupDirs) {
        public Layout {
            extraCleanupDirs = List.copyOf(extraCleanupDirs);
        }
    }

    /** What {@link #open} hands the subclass's constructor. */
    public record Parts(SandboxSpec spec, HostTools tools, Path privateDir, Path root, CgroupSandbox cgroup, SandboxPlan plan,
                        RootHolder holder, HostFacts.Holding pins) {
    }

    /** Makes the subclass's layout from the engine's plan (see {@link EnginePlan}), the host facts and the cgroups. */
    @FunctionalInterface
    public interface LayoutMaker {
        Layout make(SandboxPlan plan, HostFacts facts, CgroupSandbox cgroup);
    }

    /** Makes the session. */
    @FunctionalInterface
    public interface Factory<S extends RootfsSession> {
        S make(Parts parts);
    }

    protected final SandboxSpec spec;
    protected final HostTools tools;
    protected final Path privateDir;
    protected final Path root;
    protected final CgroupSandbox cgroup;
    protected final SandboxPlan plan;
    protected final RootHolder holder;
    /** {@link SetuidGuard#prefix}: what the chain runs inside the root before the command's first program. */
    protected final List<String> guard;
    private final HostFacts.Holding pins;
    private final Set<RootfsProcess> live = ConcurrentHashMap.newKeySet();
    private final Set<ExecCgroup> execCgroups = ConcurrentHashMap.newKeySet();
    private final AtomicLong execs = new AtomicLong();
    private final Object lock = new Object();
    private boolean closed;

    protected RootfsSession(Parts parts) {
        this.spec = parts.spec();
        this.tools = parts.tools();
        this.privateDir = parts.privateDir();
        this.root = parts.root();
        this.cgroup = parts.cgroup();
        this.plan = parts.plan();
        this.holder = parts.holder();
        this.pins = parts.pins();
        this.guard = SetuidGuard.prefix(plan);
    }

    /**
     * Makes the private directory ({@code kind} names it), the cgroups, the plan (pinning what it binds
     * besides the core's pins), the layout and the holder with the built root. On failure nothing is left
     * behind.
     *
     * @param spec a spec whose policy names the sandbox's own host uid ({@link RootfsPolicy#ownUser})
     */
    public static <S extends RootfsSession> S open(SandboxSpec spec, HostTools tools, Path tmpRoot, Engine engine, String kind,
                                                   LayoutMaker layoutMaker, Factory<S> factory) {
        Path dir = realPath(PrivateDirs.create(tmpRoot, kind, spec.sandboxId(), "rwx------"));
        HostFacts.Holding pins = new HostFacts.Holding();
        CgroupSandbox cg = null;
        RootHolder holder = null;
        try {
            cg = CgroupSandbox.create(kind, SessionLabels.hostName("cg", spec.sandboxId()),
                    SandboxPlan.cgroupLimits(spec.policy()).asResourceLimits());
            if (ExecCgroup.killDirectory(cg).isEmpty()) {
                throw new SandboxStartException(kind + ": no cgroup that can kill a whole process tree could be made ("
                        + cg + "); needs a writable cgroup v2 tree (cgroup.kill or cgroup.freeze) or the v1 freezer:"
                        + " run the JVM as root");
            }
            HostFacts facts = HostFacts.current(dir, List.of(), pins);
            Layout layout = layoutMaker.make(EnginePlan.of(SandboxPlan.session(spec, facts), engine), facts, cg);
            SandboxPlan plan = SetuidGuard.install(layout.plan(), dir, pins);
            Path root = Files.createDirectory(dir.resolve("root"));
            List<String> args = RootArgs.of(plan, engine, root, cg.directories(), layout.extraCleanupDirs());
            holder = RootHolder.start(LauncherBinary.verifiedPath(), dir.resolve("build-root.args"), args, plan, engine.backend());
            return factory.make(new Parts(spec, tools, dir, root, cg, plan, holder, pins));
        } catch (IOException e) {
            cleanUp(holder, cg, pins, dir);
            throw new SandboxStartException(kind + ": making the root's mount point in " + dir + " failed: " + e, e);
        } catch (RuntimeException e) {
            cleanUp(holder, cg, pins, dir);
            throw e;
        }
    }

    private static void cleanUp(RootHolder holder, CgroupSandbox cg, HostFacts.Holding pins, Path dir) {
        if (holder != null) {
            holder.close();
        }
        if (cg != null) {
            cg.close();
        }
        pins.close();
        PrivateDirs.delete(dir);
    }

    /** The root builder and the pins work on the real path (java.io.tmpdir may be a symlink). */
    private static Path realPath(Path dir) {
        try {
            return dir.toRealPath();
        } catch (IOException e) {
            PrivateDirs.delete(dir);
            throw new SandboxStartException("resolving the sandbox's private directory " + dir + " failed: " + e, e);
        }
    }

    @Override
    public String workspacePath() {
        return SandboxPlan.WORKSPACE;
    }

    /** The plan every exec starts from (without its exec steps). */
    public SandboxPlan plan() {
        return plan;
    }

    public CgroupSandbox cgroup() {
        return cgroup;
    }

    public Path privateDir() {
        return privateDir;
    }

    public RootHolder holder() {
        return holder;
    }

    /** The argv of one exec's chain; its first process must join {@code cg.procsFiles()} before anything else. */
    protected abstract List<String> chain(ExecArgs.Exec exec, ExecCgroup cg, long execNumber);

    /** The environment of the chain's host programs (never the command's: that one goes through env -i). */
    protected Map<String, String> chainEnvironment() {
        return Map.of();
    }

    /** Called after an exec's chain ended and its cgroup was removed (when it could be). */
    protected void afterExec(ExecCgroup cg) {
    }

    /** Called once an exec's chain has ended, whatever its cgroup still holds. */
    protected void execEnded(long execNumber) {
    }

    /** Called at the end of close(), after the cgroups were removed and before the private directory goes. */
    protected void afterClose() {
    }

    @Override
    public SandboxProcess spawn(ProcessRequest request) {
        synchronized (lock) {
            if (closed) {
                throw new ExecException("sandbox " + spec.sandboxId() + " is closed; build a new one");
            }
            if (!holder.isAlive()) {
                throw new ExecException("sandbox " + spec.sandboxId() + ": the process holding its root file system"
                        + " (pid " + holder.pid() + ") is gone; close it and build a new one");
            }
            long n = execs.incrementAndGet();
            ExecArgs.Exec exec = ExecArgs.of(plan.forExec(request));
            ExecCgroup ec = ExecCgroup.create(cgroup, n);
            execCgroups.add(ec);
            List<String> argv;
            Process p;
            try {
                argv = chain(exec, ec, n);
                ProcessBuilder pb = new ProcessBuilder(argv).directory(new File("/"));
                pb.environment().clear();
                pb.environment().putAll(chainEnvironment());
                p = pb.start();
            } catch (IOException | RuntimeException e) {
                ec.removeIfEmpty();
                execEnded(n);
                if (e instanceof ExecException ee) {
                    throw ee;
                }
                throw new ExecException("starting " + request.argv() + " in sandbox " + spec.sandboxId() + " failed: " + e, e);
            }
            RootfsProcess[] self = new RootfsProcess[1];
            RootfsProcess rp = new RootfsProcess(p, ec, code -> {
                try {
                    return afterExit(code);
                } finally {
                    execEnded(n);
                    if (self[0] != null) {
                        live.remove(self[0]);
                    }
                    if (ec.removeIfEmpty()) {
                        execCgroups.remove(ec);
                        afterExec(ec);
                    }
                }
            });
            self[0] = rp;
            if (p.isAlive()) {
                live.add(rp);
            }
            return rp;
        }
    }

    private ResourceUsage afterExit(int code) {
        Violations.report(spec, cgroup, code);
        return new ResourceUsage(Optional.empty(), cgroup.peakMemory());
    }

    @Override
    public void close() {
        List<ExecCgroup> cgs;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            cgs = List.copyOf(execCgroups);
        }
        for (RootfsProcess p : List.copyOf(live)) {
            p.killTree();
        }
        cgs.forEach(ExecCgroup::kill);
        for (RootfsProcess p : List.copyOf(live)) {
            try {
                p.onExit().get(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS);
            } catch (Exception e) {
                // bounded: the cgroups below are killed and removed whatever this process does
            }
        }
        for (ExecCgroup ec : cgs) {
            if (ec.removeIfEmpty()) {
                afterExec(ec);
            }
        }
        cgroup.close();
        holder.close();
        afterClose();
        // set-id bits under the writable trees are the core's sweep's, after every exec and at close
        pins.close();
        PrivateDirs.delete(privateDir);
    }
}
