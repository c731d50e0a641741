package dev.sandbox4j.linux.internal.rootfs;

import dev.sandbox4j.ExecException;
import dev.sandbox4j.ResourceUsage;
import dev.sandbox4j.SandboxStartException;
import dev.sandbox4j.linux.internal.cgroup.CgroupSandbox;
import dev.sandbox4j.linux.internal.host.PrivateDirs;
import dev.sandbox4j.linux.internal.plan.SandboxPlan;
import dev.sandbox4j.linux.internal.plan.Step;
import dev.sandbox4j.spi.BackendSession;
import dev.sandbox4j.spi.ProcessRequest;
import dev.sandbox4j.spi.SandboxProcess;
import dev.sandbox4j.spi.SandboxSpec;
import dev.sandbox4j.spi.SessionLabels;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What a chroot and an nspawn sandbox share: a private host directory, the sandbox's cgroups (limits for
 * all its execs together, and membership for killing), the root file system built once by a
 * {@link RootHolder} in a private mount namespace from the engine-neutral {@link SandboxPlan}, one
 * {@link ExecCgroup} per exec, and a close that leaves nothing: every process killed through the cgroups,
 * the cgroups removed, the namespace gone with its holder, the private directory deleted. Subclasses turn
 * one exec into the argv of its chain. Thread-safe.
 */
public abstract class RootfsSession implements BackendSession {
    private static final long CLOSE_WAIT_SECONDS = 5;

    /** How a subclass lays out its root, decided once its private directory and cgroups exist. */
    public record Layout(SandboxPlan plan, MountScript.Engine engine, int uid, int gid, List<String> prelude,
                         boolean ownNet, List<Path> extraCleanupDirs) {
        public Layout {
            prelude = List.copyOf(prelude);
            extraCleanupDirs = List.copyOf(extraCleanupDirs);
        }
    }

    /** What {@link #open} hands the subclass's constructor. */
    public record Parts(SandboxSpec spec, HostTools tools, Path privateDir, Path root, CgroupSandbox cgroup, Layout layout,
                        RootHolder holder) {
    }

    /** Makes the subclass's layout from the private directory and the cgroups. */
    @FunctionalInterface
    public interface LayoutMaker {
        Layout make(Path privateDir, CgroupSandbox cgroup);
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
        this.plan = parts.layout().plan();
        this.holder = parts.holder();
        this.guard = SetuidGuard.prefix(plan);
    }

    /**
     * Makes the private directory ({@code kind} names it), the cgroups, the layout, the idmapped clones of the
     * read-write directories and the holder with the built root. On failure nothing is left behind.
     */
    public static <S extends RootfsSession> S open(SandboxSpec spec, HostTools tools, Path tmpRoot, String kind,
                                                   LayoutMaker layoutMaker, Factory<S> factory) {
        Path dir = realPath(PrivateDirs.create(tmpRoot, kind, spec.sandboxId(), "rwx------"));
        CgroupSandbox cg = null;
        RootHolder holder = null;
        List<IdmappedMount> clones = List.of();
        try {
            cg = CgroupSandbox.create(SessionLabels.hostName("cg", spec.sandboxId()), spec.policy().limits());
            if (ExecCgroup.killDirectory(cg).isEmpty()) {
                throw new SandboxStartException(kind + ": no cgroup that can kill a whole process tree could be made ("
                        + cg + "); needs a writable cgroup v2 tree (cgroup.kill or cgroup.freeze) or the v1 freezer:"
                        + " run the JVM as root");
            }
            Layout made = layoutMaker.make(dir, cg);
            Layout layout = new Layout(SetuidGuard.install(made.plan(), dir), made.engine(), made.uid(), made.gid(),
                    made.prelude(), made.ownNet(), made.extraCleanupDirs());
            Path root = dir.resolve("root");
            Path empty = dir.resolve("empty");
            writeFiles(layout.plan(), root, empty);
            List<Path> rwDirs = new ArrayList<>();
            for (Step s : layout.plan().steps()) {
                if (s instanceof Step.BindRw b && Files.isDirectory(b.host())) {
                    rwDirs.add(b.host());
                }
            }
            WorkspaceGuard.closeTempWorkspace(spec.workspace());
            clones = IdmappedMount.create(rwDirs, layout.uid(), layout.gid(), tools.path("unshare"));
            Map<Path, Path> idmapped = new LinkedHashMap<>();
            clones.forEach(c -> idmapped.put(c.source(), c.procPath()));
            String script = MountScript.of(layout.plan(), layout.engine(), root, empty, idmapped, layout.prelude(),
                    CleanupScript.lines(cg, layout.extraCleanupDirs()));
            holder = RootHolder.start(tools, script, layout.ownNet());
            return factory.make(new Parts(spec, tools, dir, root, cg, layout, holder));
        } catch (RuntimeException e) {
            if (holder != null) {
                holder.close();
            }
            if (cg != null) {
                cg.close();
            }
            PrivateDirs.delete(dir);
            throw e;
        } finally {
            clones.forEach(IdmappedMount::close);
        }
    }

    /** The mount script and the holder work on the real path (java.io.tmpdir may be a symlink). */
    private static Path realPath(Path dir) {
        try {
            return dir.toRealPath();
        } catch (IOException e) {
            PrivateDirs.delete(dir);
            throw new SandboxStartException("resolving the sandbox's private directory " + dir + " failed: " + e, e);
        }
    }

    private static void writeFiles(SandboxPlan plan, Path root, Path empty) {
        try {
            Files.createDirectory(root);
            Files.createFile(empty);
            Files.setPosixFilePermissions(empty, PosixFilePermissions.fromString("---------"));
            for (Map.Entry<Path, String> f : plan.generatedFiles().entrySet()) {
                Files.createDirectories(f.getKey().getParent());
                Files.writeString(f.getKey(), f.getValue());
                // bound read-only into the root, where the sandbox's user reads them
                Files.setPosixFilePermissions(f.getKey(), PosixFilePermissions.fromString("rw-r--r--"));
            }
        } catch (IOException e) {
            throw new SandboxStartException("writing the sandbox's files into " + root.getParent() + " failed: " + e, e);
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
        // the sandbox's uid wrote as the JVM's user through the idmapped mounts: no set-id file may stay behind
        for (Step s : plan.steps()) {
            if (s instanceof Step.BindRw b) {
                WorkspaceGuard.stripSetId(b.host());
            }
        }
        PrivateDirs.delete(privateDir);
    }
}
