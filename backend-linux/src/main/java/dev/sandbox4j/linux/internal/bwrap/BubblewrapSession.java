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
import dev.sandbox4j.linux.internal.host.LauncherBinary;
import dev.sandbox4j.linux.internal.host.PrivateDirs;
import dev.sandbox4j.linux.internal.plan.HostFacts;
import dev.sandbox4j.linux.internal.plan.HostPath;
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
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One bubblewrap sandbox: one bwrap run per exec (a fresh pid namespace each, which dies with the exec),
 * sharing what persists across execs: the workspace, the cgroups (limits hold for all execs together), the
 * private host directory (0700) with the seccomp program and the generated files, the /etc view (shared
 * with the JVM's other sessions that have the same /etc: {@link EtcViewCache}), and the pins of every host
 * path it binds besides the core's (image paths, generated files, the view, the hidden files' cover), held
 * until close. Every exec's launcher verifies and stages every bind source ({@link StagedBinds}). The first
 * exec's launcher is started when the session opens ({@link LauncherStandby}). Thread-safe.
 *
 * <p>Background processes: since every exec's pid namespace dies with the exec, a process that an exec
 * leaves in the background ({@code nohup CMD &}, a daemon) is killed when that exec returns, where the
 * library's rule (README, the kit's BackgroundContract) is that it runs until close() and the next exec
 * reaches it: a known gap (issue 19). Closing it needs one resident sandbox per session that every exec
 * reaches (its pid and network namespaces at least), with the staging, the seccomp program, the uid and the
 * cgroups kept as they are, and a per-exec cgroup or subreaper so that a timeout still kills only its exec's
 * tree. bwrap's own {@code --userns FD --pidns FD} (0.8) cannot join a running bwrap sandbox's pid
 * namespace from the host ("Setting pidns failed: Operation not permitted", as root and as the sandbox's
 * host uid), and it has no option for a network namespace.
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

    private final SandboxSpec spec;
    private final BwrapTool tool;
    private final BwrapFeatures features;
    private final Path privateDir;
    private final CgroupSandbox cgroup;
    private final SandboxPlan plan;
    private final Path seccompFile;
    private final Optional<String> envShim;
    private final Optional<HostPath> cover;
    private final Optional<BwrapArgs.Etc> etcView;
    private final Optional<EtcViewCache.Lease> etcLease;
    private final HostFacts.Holding pins;
    private final LauncherStandby standby;
    private final Set<BubblewrapProcess> live = ConcurrentHashMap.newKeySet();
    private final AtomicLong execs = new AtomicLong();
    private final Object lock = new Object();
    private boolean closed;

    private BubblewrapSession(SandboxSpec spec, BwrapTool tool, BwrapFeatures features, Path privateDir,
                              CgroupSandbox cgroup, SandboxPlan plan, Optional<HostPath> cover, Optional<BwrapArgs.Etc> etcView,
                              Optional<EtcViewCache.Lease> etcLease, HostFacts.Holding pins, LauncherStandby standby) {
        this.standby = standby;
        this.cover = cover;
        this.etcLease = etcLease;
        this.etcView = etcView;
        this.pins = pins;
        this.spec = spec;
        this.tool = tool;
        this.features = features;
        this.privateDir = privateDir;
        this.cgroup = cgroup;
        this.plan = plan;
        this.seccompFile = privateDir.resolve(SECCOMP_FILE);
        this.envShim = findEnv(spec);
    }

    /** {@code env} in the image (see {@link BwrapArgs#of(SandboxPlan, BwrapFeatures, Optional, Optional, Optional)}). */
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
     * Checks everything that can be checked, then makes the private directory, the cgroups, the plan (which
     * pins the image's paths and writes the generated files), the /etc view and the seccomp program. On
     * failure nothing is left behind.
     */
    public static BubblewrapSession open(SandboxSpec spec, BwrapTool tool, Path tempRoot) {
        if (tool.bwrap().isEmpty()) {
            Availability a = tool.probe();
            throw new BackendUnavailableException("bubblewrap: " + a.reason() + "; fix: " + a.fix());
        }
        if (spec.host().ids().uid() == 0 || spec.host().ids().gid() == 0) {
            throw new SandboxStartException("bubblewrap: the sandbox " + spec.sandboxId() + " would run as the host's root ("
                    + spec.host().ids() + "); a root JVM gives each sandbox host ids of its own (the core's range), so"
                    + " this spec was not prepared by the core: build the sandbox through Sandbox.builder()");
        }
        ResourceLimits limits = spec.policy().limits();
        Rlimits.checkEnforceable(Rlimits.plan(limits));
        Path launcher = LauncherBinary.verifiedPath();
        BwrapFeatures features = tool.features();
        Path root = realTempRoot(tempRoot);
        Path dir = PrivateDirs.create(root, KIND, spec.sandboxId(), "rwx------");
        CgroupSandbox cg = null;
        LauncherStandby standby = null;
        Optional<EtcViewCache.Lease> etcLease = Optional.empty();
        HostFacts.Holding pins = new HostFacts.Holding();
        try {
            Step.CgroupLimits cgroupLimits = SandboxPlan.cgroupLimits(spec.policy());
            if (!cgroupLimits.none()) {
                cg = CgroupSandbox.create("bubblewrap", SessionLabels.hostName("cg", spec.sandboxId()), cgroupLimits.asResourceLimits());
            }
            // the first exec's launcher joins the cgroups now, while the rest of the sandbox is prepared
            standby = new LauncherStandby(cg == null ? List.of() : cg.joinFiles());
            List<Path> joined = standby.cgroupProcs();
            standby.arm(() -> BwrapLauncher.standby(launcher, joined));
            SandboxPlan plan = SandboxPlan.session(spec, HostFacts.current(dir, cg == null ? List.of() : cg.joinFiles(), pins));
            etcLease = EtcViewCache.acquire(plan, root);
            Optional<BwrapArgs.Etc> etc = etcLease.map(l -> new BwrapArgs.Etc(l.view(), pins.pin(l.view().dir(), "the /etc view")));
            Optional<HostPath> cover = writeFiles(plan, dir, pins);
            return new BubblewrapSession(spec, tool, features, dir, cg, plan, cover, etc, etcLease, pins, standby);
        } catch (RuntimeException e) {
            if (standby != null) {
                standby.discard();
            }
            if (cg != null) {
                cg.close();
            }
            etcLease.ifPresent(EtcViewCache.Lease::close);
            pins.close();
            PrivateDirs.delete(dir);
            throw e;
        }
    }

    /** The temp root without a link in its path: the files made under it are pinned, which refuses links. */
    private static Path realTempRoot(Path tempRoot) {
        try {
            return tempRoot.toRealPath();
        } catch (IOException e) {
            throw new SandboxStartException("bubblewrap: the directory for the sandbox's private directory, " + tempRoot
                    + ", cannot be resolved: " + e + "; give an existing directory (option bubblewrap.tmpdir, or"
                    + " -Djava.io.tmpdir)", e);
        }
    }

    /** The hidden files' cover (pinned; when the plan hides a file) and the seccomp program, in {@code dir}. */
    private static Optional<HostPath> writeFiles(SandboxPlan plan, Path dir, HostFacts.Holding pins) {
        try {
            Optional<HostPath> cover = Optional.empty();
            if (!plan.stepsOf(Step.HideFile.class).isEmpty()) {
                Path file = Files.createFile(dir.resolve(HIDDEN_COVER),
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("---------")));
                cover = Optional.of(pins.pin(file, "the hidden files' cover"));
            }
            for (Step.Seccomp s : plan.stepsOf(Step.Seccomp.class)) {
                Path bpf = dir.resolve(SECCOMP_FILE);
                Files.write(bpf, s.program().bpf());
                Files.setPosixFilePermissions(bpf, PosixFilePermissions.fromString("r--------"));
            }
            return cover;
        } catch (IOException e) {
            throw new SandboxStartException("writing the sandbox's files into " + dir + " failed: " + e, e);
        }
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
            SandboxPlan exec = plan.forExec(request);
            BwrapArgs.Invocation inv = BwrapArgs.of(exec, features, envShim, cover, etcView);
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
        pins.close();
        PrivateDirs.delete(privateDir);
        // after every bwrap of this session is gone: the view may be deleted once no session uses it
        etcLease.ifPresent(EtcViewCache.Lease::close);
    }
}
