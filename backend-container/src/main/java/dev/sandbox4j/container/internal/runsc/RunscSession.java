package dev.sandbox4j.container.internal.runsc;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sandbox4j.ExecException;
import dev.sandbox4j.SandboxStartException;
import dev.sandbox4j.container.internal.WorkspaceAccess;
import dev.sandbox4j.container.internal.agent.ExecAgent;
import dev.sandbox4j.container.internal.seccomp.SeccompHelper;
import dev.sandbox4j.container.internal.session.ExecScripts;
import dev.sandbox4j.spi.BackendSession;
import dev.sandbox4j.spi.EventSink;
import dev.sandbox4j.spi.HostIds;
import dev.sandbox4j.spi.ProcessRequest;
import dev.sandbox4j.spi.SandboxProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One daemonless gVisor sandbox: a runsc container of its own state directory, whose init (the host's
 * static init) runs the exec agent; every command is forked by the agent, so it inherits the init's uid,
 * rlimits, no capabilities, no-new-privileges and seccomp filter. A command's tree is killed by the
 * {@code s4j-kill-tree} helper run with {@code runsc exec} as the sandbox's uid (under the sandbox's filter);
 * when that does not end within {@link #KILL_EXEC_BUDGET} (a saturated sandbox), {@code runsc kill --all}
 * kills every process of the sandbox, which then ends, so that a timeout returns within about that budget of
 * its deadline. When the sandbox ended (that kill; the host cgroup's memory limit OOM-kills gVisor's kernel
 * with the hog; a command's {@code kill -9 -1} killed the exec agent and so the init), its commands end at
 * once (137) and the next command makes the container again from the same bundle: the workspace survives,
 * tmpfs contents and running processes do not; a memory kill is reported as a {@code limits.memory}
 * violation, any other end as a progress event. close() deletes
 * the container ({@code runsc delete --force}: the sandbox, its file proxy and its cgroups) and the
 * sandbox's directory. The sandbox and its file proxy are children of a {@link SandboxKeeper}, which reaps
 * them as soon as they end, so that the delete does not wait for the host's PID 1 to. Thread-safe.
 */
final class RunscSession implements BackendSession {
    private static final System.Logger LOG = System.getLogger(RunscSession.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    static final Duration AGENT_TIMEOUT = Duration.ofSeconds(20);
    /** How long the exec that kills a command's tree may take before every process of the sandbox is killed. */
    static final Duration KILL_EXEC_BUDGET = Duration.ofMillis(1200);

    private final Runsc runsc;
    private final Path init;
    private final String sandboxId;
    private final Path dir;
    private final AgentMaker agentMaker;
    private final Runnable release;
    private volatile BundlePlan plan;
    private final String workspacePath;
    private final EventSink events;
    private final WorkspaceAccess workspace;
    private final Set<SandboxProcess> live = ConcurrentHashMap.newKeySet();
    private final AtomicLong counter = new AtomicLong();
    private volatile ExecAgent agent;
    private volatile SandboxKeeper keeper;
    private volatile long sandboxPid = -1;
    private volatile Set<String> added = Set.of();
    private volatile boolean closed;
    /** {@link #killAll} ended the sandbox: making it again is no news. */
    private volatile boolean endExpected;

    /** Makes a fresh exec agent for the sandbox and writes the bundle whose init runs it. */
    interface AgentMaker {
        /** The agent, and the plan written to the bundle for it. */
        record Made(ExecAgent agent, BundlePlan plan) {
        }

        Made make() throws IOException;
    }

    private RunscSession(Runsc runsc, Path init, String sandboxId, Path dir, BundlePlan plan, String workspacePath,
                         EventSink events, WorkspaceAccess workspace, ExecAgent agent, AgentMaker agentMaker,
                         Runnable release) {
        this.agentMaker = agentMaker;
        this.release = release;
        this.runsc = runsc;
        this.init = init;
        this.sandboxId = sandboxId;
        this.dir = dir;
        this.plan = plan;
        this.workspacePath = workspacePath;
        this.events = events;
        this.workspace = workspace;
        this.agent = agent;
    }

    /**
     * Starts the container of the prepared bundle in {@code dir}; on failure removes everything and throws.
     *
     * @param init       the host's static init, which also keeps the sandbox's processes as their subreaper ({@link SandboxKeeper})
     * @param agentMaker makes the agent and the bundle again when the sandbox is made again
     * @param release    releases what the backend made for the sandbox besides the bundle (the helpers), at close
     */
    static RunscSession start(Runsc runsc, Path init, String sandboxId, Path dir, AgentMaker.Made first, String workspacePath,
                              EventSink events, WorkspaceAccess workspace, AgentMaker agentMaker, Runnable release) {
        BundlePlan plan = first.plan();
        RunscSession s = new RunscSession(runsc, init, sandboxId, dir, plan, workspacePath, events, workspace, first.agent(),
                agentMaker, release);
        try {
            s.startContainer();
            return s;
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e instanceof SandboxStartException se ? se
                    : new SandboxStartException("gvisor: cannot start the runsc sandbox " + plan.containerId() + ": " + e.getMessage(), e);
        }
    }

    private Path state() {
        return dir.resolve("state");
    }

    private void startContainer() throws IOException {
        Files.createDirectories(state());
        Path log = dir.resolve("init.log");
        Files.deleteIfExists(log);
        java.util.concurrent.CompletableFuture<String> calibration = agent.calibration();
        // the init's stdout and stderr are runsc create's: the log; the keeper stays the parent of what it forks
        SandboxKeeper.Started created = SandboxKeeper.start(init, runsc.command(state(), "create", "--bundle",
                dir.resolve("bundle").toString(), plan.containerId()), log, Runsc.CALL_TIMEOUT);
        keeper = created.keeper();
        if (created.createExit() == 124) {
            throw new SandboxStartException("gvisor: runsc create did not end within " + Runsc.CALL_TIMEOUT);
        }
        if (created.createExit() != 0) {
            throw new SandboxStartException("gvisor: runsc create failed (exit " + created.createExit() + "): "
                    + readLog(log) + "; bundle plan: " + plan);
        }
        Runsc.Result st = runsc.run(state(), Runsc.CALL_TIMEOUT, "state", plan.containerId());
        if (st.ok()) {
            sandboxPid = JSON.readTree(st.output()).path("pid").asLong(-1);
            ExecAgent started = agent;
            ProcessHandle.of(sandboxPid).ifPresent(h -> h.onExit().thenRun(() -> sandboxDied(started)));
        }
        Runsc.Result start = runsc.run(state(), Runsc.CALL_TIMEOUT, "start", plan.containerId());
        if (!start.ok()) {
            throw new SandboxStartException("gvisor: runsc start failed (exit " + start.exitCode() + "): " + start.output()
                    + " " + readLog(log));
        }
        String text;
        try {
            text = calibration.get(AGENT_TIMEOUT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            agent.abortCalibration();
            throw new SandboxStartException("gvisor: interrupted while waiting for the exec agent", e);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            agent.abortCalibration();
            text = null;
        }
        if (text == null || !text.contains(ExecAgent.READY) || !agent.connect(AGENT_TIMEOUT.toMillis())) {
            throw new SandboxStartException("gvisor: the exec agent inside the runsc sandbox did not start within "
                    + AGENT_TIMEOUT + "; the sandbox's init said: " + readLog(log)
                    + "; fix: the image needs /bin/sh (a POSIX shell)");
        }
        added = exportedBeforeReady(text);
    }

    private static String readLog(Path log) {
        try {
            String s = Files.readString(log, StandardCharsets.UTF_8).strip();
            return s.length() > 4000 ? s.substring(0, 4000) + "..." : s;
        } catch (IOException e) {
            return "(no output)";
        }
    }

    /** The variable names of the agent's {@code export -p}, printed before its ready line. */
    static Set<String> exportedBeforeReady(String log) {
        int ready = log.indexOf(ExecAgent.READY);
        return ExecScripts.exportedNames(ready < 0 ? log : log.substring(0, ready));
    }

    @Override
    public String workspacePath() {
        return workspacePath;
    }

    @Override
    public Optional<HostIds> filesOwner() {
        return workspace.owner();
    }

    @Override
    public SandboxProcess spawn(ProcessRequest request) {
        if (closed) {
            throw new ExecException("gvisor: the sandbox " + plan.containerId() + " is closed");
        }
        Set<String> unset = new HashSet<>(added);
        unset.removeAll(request.env().keySet());
        String tag = plan.containerId() + "#" + counter.incrementAndGet();
        IOException last = null;
        for (int attempt = 0; attempt < 2; attempt++) {
            ExecAgent a = agent;
            // after killAll the sandbox is ending: a request sent now could reach a FIFO its file proxy still holds
            if (!a.alive() || !sandboxAlive() || endExpected) {
                restart(a, endExpected ? "every process of it was killed" : sandboxAlive() ? "its exec agent is gone"
                        : "the sandbox's kernel is gone");
                a = agent;
            }
            try {
                ExecAgent served = a;
                SandboxProcess p = new LateStdinClose(a.spawn(request.argv(), request.env(), request.workdir(), unset, tag,
                        this::killTree, () -> killAll(served, "the tree of " + tag + " could not be killed within "
                                + KILL_EXEC_BUDGET.toMillis() + " ms")));
                live.add(p);
                p.onExit().whenComplete((x, t) -> live.remove(p));
                return p;
            } catch (IOException e) {
                last = e;
            }
        }
        throw new ExecException("gvisor: cannot start " + request.argv() + " in " + plan.containerId() + ": "
                + (last == null ? "the agent is gone" : last.getMessage()), last);
    }

    /**
     * The sandbox's kernel ended on its own (the host killed it for memory): its file proxy may still hold
     * the command FIFOs open, so the commands' ends are aborted here (exit 137) and the proxy killed; the
     * next spawn makes the sandbox again and reports why.
     */
    private void sandboxDied(ExecAgent seen) {
        if (closed || agent != seen) {
            return;
        }
        RunscReaper.killProcessesOf(state());
        abortLive();
    }

    private boolean sandboxAlive() {
        long pid = sandboxPid;
        return pid <= 0 || ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    /**
     * Kills the tree of the command whose pid inside is {@code pid}: {@code s4j-kill-tree} run with runsc exec
     * as the sandbox's uid; false when it failed or did not end within {@link #KILL_EXEC_BUDGET}.
     */
    boolean killTree(long pid, String tag) {
        try {
            List<String> args = new ArrayList<>(List.of("exec", "--user", plan.uid() + ":" + plan.gid(), "--cwd", "/",
                    plan.containerId()));
            args.addAll(SeccompHelper.killTreeCommand(pid));
            Runsc.Result r = runsc.run(state(), KILL_EXEC_BUDGET, args.toArray(String[]::new));
            if (!r.ok()) {
                LOG.log(System.Logger.Level.DEBUG, "kill of the tree of " + tag + " failed: " + r);
            }
            return r.ok();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "kill of the tree of " + tag + " could not run", e);
            return false;
        }
    }

    /**
     * The last resort when a command's tree cannot be killed in time: {@code runsc kill --all} kills every
     * process of the sandbox (unless another thread made it again since {@code seen} was its agent); the
     * sandbox then ends, its commands end with 137, and the next command makes it again.
     */
    private void killAll(ExecAgent seen, String why) {
        if (closed || agent != seen) {
            return;
        }
        endExpected = true;
        events.progress("sandbox restart", why + ": every process of the sandbox was killed; it is made again for the"
                + " next command (the workspace is kept, tmpfs contents are not)");
        try {
            Runsc.Result r = runsc.run(state(), Runsc.CALL_TIMEOUT, "kill", "--all", plan.containerId(), "KILL");
            if (!r.ok()) {
                LOG.log(System.Logger.Level.WARNING, "runsc kill --all of " + plan.containerId() + " failed: " + r);
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "runsc kill --all of " + plan.containerId() + " could not run", e);
        }
        // runsc ends the sandbox once its init is gone; should a process of it hold a command's FIFO, end them here
        abortLive();
    }

    /**
     * Makes the container again (unless another thread already did since {@code seen} was the agent): every
     * process inside is gone, the workspace is kept. Reports a memory kill as a violation.
     */
    private synchronized void restart(ExecAgent seen, String why) {
        if (closed || agent != seen) {
            return;
        }
        long ooms = oomKills();
        removeContainer();
        abortLive();
        seen.close();
        try {
            AgentMaker.Made made = agentMaker.make();
            plan = made.plan();
            agent = made.agent();
            startContainer();
        } catch (IOException | RuntimeException e) {
            throw new ExecException("gvisor: the sandbox " + plan.containerId() + " ended (" + why
                    + ") and could not be made again: " + e.getMessage(), e);
        }
        if (ooms > 0) {
            events.violation("limits.memory", "the sandbox used more than its memory limit of "
                    + plan.memoryBytes().orElse(0) + " bytes and the host killed its gVisor kernel; it was made again");
        } else if (!endExpected) {
            events.progress("sandbox restart", "the runsc sandbox " + plan.containerId() + " ended (" + why + "; its init"
                    + " ends with the exec agent, which a command's kill -9 -1 kills) and was made again: the workspace"
                    + " is kept, running processes and tmpfs contents are lost");
        }
        endExpected = false;
    }

    /** How many times the memory controller OOM-killed in this sandbox's cgroup (v1 or v2); 0 when unknown. */
    long oomKills() {
        for (Path f : List.of(Path.of("/sys/fs/cgroup/memory", plan.cgroupsPath(), "memory.oom_control"),
                Path.of("/sys/fs/cgroup", plan.cgroupsPath(), "memory.events"))) {
            try {
                for (String line : Files.readAllLines(f)) {
                    if (line.startsWith("oom_kill ")) {
                        return Long.parseLong(line.substring(9).strip());
                    }
                }
            } catch (IOException | NumberFormatException e) {
                // not this cgroup layout
            }
        }
        return 0;
    }

    private void removeContainer() {
        try {
            Runsc.Result r = runsc.run(state(), Runsc.CALL_TIMEOUT, "delete", "--force", plan.containerId());
            if (!r.ok() && !r.output().contains("does not exist")) {
                LOG.log(System.Logger.Level.WARNING, "runsc delete of " + plan.containerId() + " failed: " + r);
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "runsc delete of " + plan.containerId() + " could not run", e);
        }
        long pid = sandboxPid;
        if (pid > 0) {
            // runsc delete ends the sandbox; should it have failed, its process tree still goes
            ProcessHandle.of(pid).ifPresent(h -> {
                h.descendants().forEach(ProcessHandle::destroyForcibly);
                h.destroyForcibly();
            });
        }
        SandboxKeeper k = keeper;
        if (k != null) {
            k.close();
            keeper = null;
        }
        RunscReaper.removeCgroups(plan.cgroupsPath());
        // the private state directory holds this one container's metadata: a delete that failed because the
        // sandbox was already gone (killed from outside) leaves it, and the next create would find it
        RunscReaper.killProcessesOf(state());
        ExecAgent.deleteDir(state());
    }

    private void abortLive() {
        for (SandboxProcess p : List.copyOf(live)) {
            if (p instanceof LateStdinClose l) {
                l.abort();
            }
        }
        live.clear();
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        removeContainer();
        abortLive();
        agent.close();
        workspace.close();
        try {
            release.run();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "releasing the helpers of " + plan.containerId() + " failed", e);
        }
        ExecAgent.deleteDir(dir);
    }

    @Override
    public String toString() {
        return "runsc sandbox " + plan.containerId();
    }
}
