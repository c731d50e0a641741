package dev.sandbox4j.linux.internal.bwrap;

import dev.sandbox4j.linux.internal.host.LauncherStandby;
import dev.sandbox4j.linux.internal.host.ProcessWait;

import dev.sandbox4j.BackendUnavailableException;
import dev.sandbox4j.ExecException;
import dev.sandbox4j.ResourceLimits;
import dev.sandbox4j.ResourceUsage;
import dev.sandbox4j.SandboxException;
import dev.sandbox4j.SandboxImage;
import dev.sandbox4j.SandboxStartException;
import dev.sandbox4j.SyscallPolicy;
import dev.sandbox4j.linux.internal.cgroup.CgroupSandbox;
import dev.sandbox4j.linux.internal.host.HostIds;
import dev.sandbox4j.linux.internal.host.LauncherBinary;
import dev.sandbox4j.linux.internal.host.PrivateDirs;
import dev.sandbox4j.linux.internal.plan.HostFacts;
import dev.sandbox4j.linux.internal.plan.SandboxPlan;
import dev.sandbox4j.linux.internal.plan.Step;
import dev.sandbox4j.linux.internal.rlimit.Rlimits;
import dev.sandbox4j.spi.Availability;
import dev.sandbox4j.spi.BackendSession;
import dev.sandbox4j.spi.ProcessRequest;
import dev.sandbox4j.spi.SandboxProcess;
import dev.sandbox4j.spi.SandboxSpec;
import dev.sandbox4j.spi.SessionLabels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * One bubblewrap sandbox: one bwrap run per exec (a fresh pid namespace each, which dies with the exec),
 * sharing what persists across execs: the workspace, the cgroups (limits hold for all execs together), the
 * private host directory (0700) with the seccomp program and the generated files, and the /etc view (shared
 * with the JVM's other sessions that have the same /etc: {@link EtcViewCache}). The first exec's launcher
 * is started when the session opens ({@link LauncherStandby}). Thread-safe.
 */
public final class BubblewrapSession implements BackendSession {
    private static final int SIGSYS = 31;
    private static final int SIGXFSZ = 25;
    /** The {@code kind} of the private directory's name ({@link SessionLabels#hostName}). */
    public static final String KIND = "bwrap";
    /** The {@code kind} of the directory of the shared /etc views ({@link EtcViewCache}). */
    public static final String ETC_VIEWS_KIND = EtcViewCache.KIND;
    private static final String HIDDEN_COVER = "hidden-cover";
    private static final String SECCOMP_FILE = "seccomp.bpf";
    private static final java.util.Set<PosixFilePermission> READABLE = PosixFilePermissions.fromString("rw-r--r--");

    private final SandboxSpec spec;
    private final BwrapTool tool;
    private final BwrapFeatures features;
    private final Path privateDir;
    private final CgroupSandbox cgroup;
    private final SandboxPlan plan;
    private final Path seccompFile;
    private final Optional<String> envShim;
    private final StagedBinds staging;
    private final Optional<EtcView> etcView;
    private final Optional<EtcViewCache.Lease> etcLease;
    private final LauncherStandby standby;
    private final Set<BubblewrapProcess> live = ConcurrentHashMap.newKeySet();
    private final AtomicLong execs = new AtomicLong();
    private final Object lock = new Object();
    private boolean closed;

    private BubblewrapSession(SandboxSpec spec, BwrapTool tool, BwrapFeatures features, Path privateDir,
                              CgroupSandbox cgroup, SandboxPlan plan, StagedBinds staging, Optional<EtcViewCache.Lease> etcLease,
                              LauncherStandby standby) {
        this.standby = standby;
        this.staging = staging;
        this.etcLease = etcLease;
        this.etcView = etcLease.map(EtcViewCache.Lease::view);
        this.spec = spec;
        this.tool = tool;
        this.features = features;
        this.privateDir = privateDir;
        this.cgroup = cgroup;
        this.plan = plan;
        this.seccompFile = privateDir.resolve(SECCOMP_FILE);
        this.envShim = findEnv(spec);
    }

    /** {@code env} in the image (see {@link BwrapArgs#of(SandboxPlan, BwrapFeatures, Optional)}). */
    private static Optional<String> findEnv(SandboxSpec spec) {
        Path root = spec.image() instanceof SandboxImage.Directory d && spec.policy().filesystem().isolated()
                ? d.rootfs() : Path.of("/");
        for (String candidate : List.of("/usr/bin/env", "/bin/env")) {
            Path host = root.resolve(candidate.substring(1));
            try {
                // a symlink must stay inside the rootfs to mean the same file inside the sandbox
                if (Files.isRegularFile(host) && Files.isExecutable(host) && host.toRealPath().startsWith(root.toRealPath())) {
                    return Optional.of(candidate);
                }
            } catch (IOException e) {
                // not usable: try the next
            }
        }
        return Optional.empty();
    }

    /**
     * Checks everything that can be checked, then makes the private directory, the cgroups, the plan and
     * the staging. On failure nothing is left behind.
     */
    public static BubblewrapSession open(SandboxSpec spec, BwrapTool tool, Path tempRoot) {
        if (tool.bwrap().isEmpty()) {
            Availability a = tool.probe();
            throw new BackendUnavailableException("bubblewrap: " + a.reason() + "; fix: " + a.fix());
        }
        ResourceLimits limits = spec.policy().limits();
        Rlimits.checkEnforceable(Rlimits.plan(limits));
        Path launcher = LauncherBinary.verifiedPath();
        BwrapFeatures features = tool.features();
        // a root JVM runs the sandbox as the host's nobody whenever the policy names the sandbox's uid
        boolean asNobody = HostIds.root() && spec.policy().process().uid().isPresent();
        Path dir = PrivateDirs.create(tempRoot, KIND, spec.sandboxId(), asNobody ? "rwx--x--x" : "rwx------");
        CgroupSandbox cg = null;
        LauncherStandby standby = null;
        Optional<EtcViewCache.Lease> etcLease = Optional.empty();
        try {
            if (asNobody && !nobodyCanReach(dir)) {
                throw new SandboxStartException("bubblewrap runs this sandbox as the host's uid " + HostIds.SANDBOX_HOST_UID
                        + ", which cannot enter " + tempRoot + " (a directory above it lacks o+x); give a tmpdir it can"
                        + " enter with the option " + "bubblewrap.tmpdir" + " or -Djava.io.tmpdir");
            }
            boolean needsCgroup = limits.memory().isPresent() || limits.cpus().isPresent() || limits.pids().isPresent();
            if (needsCgroup) {
                cg = CgroupSandbox.create(SessionLabels.hostName("cg", spec.sandboxId()), limits);
            }
            // the first exec's launcher joins the cgroups now, while the rest of the sandbox is prepared
            standby = new LauncherStandby(cg == null ? List.of() : cg.joinFiles());
            List<Path> joined = standby.cgroupProcs();
            standby.arm(() -> BwrapLauncher.standby(launcher, joined));
            SandboxPlan plan = SandboxPlan.session(spec, HostFacts.current(dir, cg == null ? List.of() : cg.joinFiles()));
            etcLease = EtcViewCache.acquire(plan, tempRoot);
            Optional<EtcView> etc = etcLease.map(EtcViewCache.Lease::view);
            writeFiles(plan, dir, etc.map(EtcView::consolidated).orElse(Set.of()));
            // after the files exist: what the view shows of them is checked as it is on disk
            StagedBinds staging = asNobody ? StagedBinds.of(plan, new int[] {HostIds.SANDBOX_HOST_UID, HostIds.SANDBOX_HOST_GID},
                    spec.policy().filesystem().mounts().stream().filter(m -> !m.writable()).collect(Collectors.toSet()),
                    etc.map(EtcView::consolidated).orElse(Set.of()), etc.map(EtcView::dir), dir.resolve("stage"),
                    BubblewrapSession::nobodyCanReach,
                    Files::isDirectory) : StagedBinds.none();
            if (staging.guarded() && !features.addSeccompFd()) {
                throw new SandboxStartException("bubblewrap " + features.version() + " cannot load a second seccomp program"
                        + " (--add-seccomp-fd, 0.6.0+), which the setuid guard of a root JVM's sandbox needs; install"
                        + " bubblewrap 0.6.0 or newer, or run the JVM as another user");
            }
            makeMountPoints(staging, dir);
            return new BubblewrapSession(spec, tool, features, dir, cg, plan, staging, etcLease, standby);
        } catch (RuntimeException e) {
            if (standby != null) {
                standby.discard();
            }
            if (cg != null) {
                cg.close();
            }
            etcLease.ifPresent(EtcViewCache.Lease::close);
            PrivateDirs.delete(dir);
            throw e;
        }
    }

    /** True when the host's nobody can look {@code path} up: every directory above it has o+x. */
    static boolean nobodyCanReach(Path path) {
        try {
            for (Path p = path.toRealPath().getParent(); p != null; p = p.getParent()) {
                if (!Files.getPosixFilePermissions(p).contains(PosixFilePermission.OTHERS_EXECUTE)) {
                    return false;
                }
            }
            return true;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    /**
     * The generated files (but those the shared /etc view shows: {@code inEtcView}), the hidden files'
     * cover and the seccomp program, in {@code dir}.
     */
    private static void writeFiles(SandboxPlan plan, Path dir, Set<String> inEtcView) {
        try {
            for (Map.Entry<Path, String> f : plan.generatedFiles().entrySet()) {
                if (onlyInEtcView(plan, f.getKey(), inEtcView)) {
                    continue;
                }
                Files.createDirectories(f.getKey().getParent());
                Files.writeString(f.getKey(), f.getValue());
                // bwrap may run as the host's nobody: it and the sandbox must read them, whatever the umask
                Files.setPosixFilePermissions(f.getKey(), READABLE);
            }
            if (!plan.stepsOf(Step.HideFile.class).isEmpty()) {
                Files.createFile(dir.resolve(HIDDEN_COVER), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("---------")));
            }
            for (Step.Seccomp s : plan.stepsOf(Step.Seccomp.class)) {
                Path bpf = dir.resolve(SECCOMP_FILE);
                Files.write(bpf, s.filter().bpf());
                Files.setPosixFilePermissions(bpf, PosixFilePermissions.fromString("r--------"));
            }
        } catch (IOException e) {
            throw new SandboxStartException("writing the sandbox's files into " + dir + " failed: " + e, e);
        }
    }

    /** True when every step that shows {@code file} is a bind the /etc view stands for (and there is one). */
    private static boolean onlyInEtcView(SandboxPlan plan, Path file, Set<String> inEtcView) {
        boolean shown = false;
        for (Step s : plan.steps()) {
            Path host = s instanceof Step.BindRo b ? b.host() : s instanceof Step.BindRw b ? b.host()
                    : s instanceof Step.BindDev b ? b.host() : null;
            if (file.equals(host)) {
                if (!(s instanceof Step.BindRo b && inEtcView.contains(b.dest()))) {
                    return false;
                }
                shown = true;
            }
        }
        return shown;
    }

    /** The empty mount points of the staged binds, each of its source's kind. */
    private static void makeMountPoints(StagedBinds staging, Path dir) {
        try {
            for (StagedBinds.Stage st : staging.stages().values()) {
                if (st.inEtcView()) {
                    continue; // the view's own, made with it (EtcView)
                }
                Files.createDirectories(st.mountPoint().getParent());
                if (st.directory()) {
                    Files.createDirectory(st.mountPoint());
                } else {
                    Files.createFile(st.mountPoint());
                }
            }
        } catch (IOException e) {
            throw new SandboxStartException("making the staged binds' mount points in " + dir + " failed: " + e, e);
        }
    }

    /** The empty, mode 0000 file bound over hidden files: empty and unreadable. */
    private Path hiddenCover() {
        return privateDir.resolve(HIDDEN_COVER);
    }

    /** The plan every exec runs (without its exec steps). */
    public SandboxPlan plan() {
        return plan;
    }

    public Optional<CgroupSandbox> cgroup() {
        return Optional.ofNullable(cgroup);
    }

    public Path privateDir() {
        return privateDir;
    }

    /** /workspace; with the host's whole file system, the workspace's own host path (see {@link BwrapArgs}). */
    @Override
    public String workspacePath() {
        return BwrapArgs.hostView(plan) ? spec.workspace().toString() : SandboxPlan.WORKSPACE;
    }

    @Override
    public SandboxProcess spawn(ProcessRequest request) {
        synchronized (lock) {
            if (closed) {
                throw new ExecException("sandbox " + spec.sandboxId() + " is closed; build a new one");
            }
            BwrapArgs.Invocation inv = BwrapArgs.of(plan.forExec(request), features, envShim, hiddenCover(), etcView, staging);
            Path args = privateDir.resolve("args-" + execs.incrementAndGet());
            Process p;
            try {
                Path bwrap = tool.bwrap().orElseThrow();
                if (!standby.cgroupProcs().equals(inv.cgroupProcs())) {
                    standby.discard();
                }
                Optional<Process> warm = standby.take();
                if (warm.isPresent() && BwrapLauncher.release(warm.get(), bwrap, inv, args, seccompFile)) {
                    p = warm.get();
                } else {
                    // checked before every use: a copy replaced by hand in the cache directory is not run
                    p = BwrapLauncher.start(LauncherBinary.verifiedPath(), bwrap, inv, args, seccompFile);
                }
                if (execs.get() >= 2) {
                    // a session that runs more than one exec likely runs more: keep the next one warm
                    Path verified = LauncherBinary.verifiedPath();
                    standby.arm(() -> BwrapLauncher.standby(verified, standby.cgroupProcs()));
                }
            } catch (SandboxException e) {
                throw new ExecException(e.getMessage() + "\n" + plan, e);
            }
            BubblewrapProcess[] self = new BubblewrapProcess[1];
            BubblewrapProcess bp = new BubblewrapProcess(p, this::afterExit, () -> {
                if (self[0] != null) {
                    live.remove(self[0]);
                }
            });
            self[0] = bp;
            if (p.isAlive()) {
                live.add(bp);
            }
            return bp;
        }
    }

    private ResourceUsage afterExit(int code) {
        if (cgroup != null) {
            if (cgroup.memoryLimitHit()) {
                spec.events().violation("limits.memory", "a process was killed by the out-of-memory killer at the"
                        + " memory limit " + spec.policy().limits().memory().map(Object::toString).orElse("?"));
            }
            if (cgroup.pidsLimitHit()) {
                spec.events().violation("limits.pids", "a fork or clone failed at the pids limit "
                        + spec.policy().limits().pids().orElse(-1));
            }
        }
        if (code == 128 + SIGSYS && spec.policy().syscalls().action() == SyscallPolicy.Action.KILL
                && spec.policy().syscalls().filters()) {
            spec.events().violation("syscalls", "the command was killed by SIGSYS: it made a denied system call");
        }
        if (code == 128 + SIGXFSZ && spec.policy().limits().fileSize().isPresent()) {
            spec.events().violation("limits.fileSize", "the command was killed by SIGXFSZ: it wrote past the file size"
                    + " limit " + spec.policy().limits().fileSize().get());
        }
        return new ResourceUsage(Optional.empty(), cgroup == null ? Optional.empty() : cgroup.peakMemory());
    }

    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
        }
        List<ProcessHandle> members = new java.util.ArrayList<>();
        for (BubblewrapProcess p : List.copyOf(live)) {
            ProcessHandle.of(p.pid()).ifPresent(h -> {
                members.add(h);
                h.descendants().forEach(members::add);
            });
            p.killTree();
        }
        // before the cgroups go: an unused standby must not join them after their kill
        standby.discard();
        if (cgroup != null) {
            cgroup.close();
        }
        members.forEach(ProcessHandle::destroyForcibly);
        // bounded: the reaper finds what is left by its session label
        ProcessWait.allGone(members, Duration.ofSeconds(5));
        PrivateDirs.delete(privateDir);
        // after every bwrap of this session is gone: the view may be deleted once no session uses it
        etcLease.ifPresent(EtcViewCache.Lease::close);
    }
}
