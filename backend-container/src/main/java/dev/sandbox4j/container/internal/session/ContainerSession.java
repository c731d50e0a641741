package dev.sandbox4j.container.internal.session;

import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import dev.sandbox4j.ExecException;
import dev.sandbox4j.SandboxStartException;
import dev.sandbox4j.container.internal.EngineKind;
import dev.sandbox4j.container.internal.agent.ExecAgent;
import dev.sandbox4j.container.internal.engine.ContainerWatch;
import dev.sandbox4j.container.internal.engine.EngineClient;
import dev.sandbox4j.container.internal.engine.EngineException;
import dev.sandbox4j.container.internal.plan.ContainerPlan;
import dev.sandbox4j.container.internal.plan.ContainerPlanner;
import dev.sandbox4j.container.internal.seccomp.SeccompHelper;
import dev.sandbox4j.spi.BackendSession;
import dev.sandbox4j.spi.EventSink;
import dev.sandbox4j.spi.HostIds;
import dev.sandbox4j.spi.ProcessRequest;
import dev.sandbox4j.spi.SandboxProcess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One sandbox: one container kept alive by its init; commands run in it through the exec agent when the
 * session has one (ContainerBackendSupport#useAgent), else through the Exec API. Thread-safe.
 * The workspace is a bind mount of the host directory, so files move on the host side, through the core's
 * files API (it refuses {@code ..} and symlinks, and its tar export stores symlinks as links, never
 * following them); when the container's user is not the JVM's, {@link #filesOwner()} names it, so that what
 * the core makes there belongs to the sandbox's user.
 *
 * <p><b>Killing a command's tree</b> ({@link #killTree}), fastest first: on runc (docker, podman) from the
 * host ({@link HostKill}: the container's processes are host processes; no process has to start inside, so it
 * also works at the pids limit); else with an engine exec inside (gVisor: the {@code s4j-kill-tree} helper;
 * runc: the kill script), which must end within {@link #KILL_EXEC_BUDGET}; else {@link #killEverything}: the
 * engine kills the whole container, and the next command starts it again. So a timeout returns within
 * about that budget of its deadline however busy the sandbox is.
 *
 * <p><b>A container that stopped</b> (the memory limit killed gVisor's kernel; a command's {@code kill -9 -1}
 * killed the exec agent, its main process, which runs as the same uid; {@link #killEverything}): the commands
 * running in it end at once (an agent command whose ends stay open {@link #STOPPED_GRACE} after the stop is
 * ended with 137), and the next command starts the container again, reported as a {@code limits.memory}
 * violation or a progress event: the workspace is kept, running processes and tmpfs contents are lost.
 */
public final class ContainerSession implements BackendSession {
    private static final System.Logger LOG = System.getLogger(ContainerSession.class.getName());
    /** How long an engine exec that kills a command's tree may take before the whole container is killed. */
    static final Duration KILL_EXEC_BUDGET = Duration.ofMillis(1200);
    /** How long after its container stopped an agent command may take to see its FIFOs close. */
    static final Duration STOPPED_GRACE = Duration.ofMillis(500);
    private static final ExecutorService KILLERS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "sandbox4j-container-kill");
        t.setDaemon(true);
        return t;
    });

    private final EngineClient client;
    private final EngineKind kind;
    private final ContainerPlan plan;
    private final String containerId;
    private final String workspacePath;
    private final EventSink events;
    private final Runnable onClose;
    private final Optional<HostIds> filesOwner;
    private final Optional<ExecAgent> agent;
    private volatile ContainerWatch watch;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicLong execCounter = new AtomicLong();
    private final Set<ContainerProcess> running = ConcurrentHashMap.newKeySet();
    private final Set<SandboxProcess> agentProcesses = ConcurrentHashMap.newKeySet();
    private final ExecRunner runner;
    private volatile Set<String> addedVariables = Set.of();
    /** The container's pid namespace on the host, looked up at the first kill after each start; null: not yet. */
    private volatile Optional<HostKill.Namespace> hostNamespace;
    /** {@link #killEverything} stopped the container: its restart is no news. */
    private volatile boolean stopExpected;

    private ContainerSession(EngineClient client, EngineKind kind, ContainerPlan plan, String containerId,
                             String workspacePath, EventSink events, Optional<HostIds> filesOwner, Optional<ExecAgent> agent,
                             Runnable onClose) {
        this.client = client;
        this.kind = kind;
        this.plan = plan;
        this.containerId = containerId;
        this.workspacePath = workspacePath;
        this.events = events;
        this.filesOwner = filesOwner;
        this.agent = agent;
        this.onClose = onClose;
        this.runner = new ExecRunner(client, containerId, plan.user());
    }

    /**
     * Creates and starts the container of {@code plan}, and learns which variables the engine adds to an
     * exec's environment. On failure removes what it made and throws {@link SandboxStartException}.
     *
     * @param filesOwner  the host ids that own the workspace, when they are not the JVM's
     * @param ensureImage imports or pulls the plan's image; run when the engine has no image of that name
     * @param onClose     run once when the session closes (releases the workspace and a private engine service)
     */
    public static ContainerSession open(EngineClient client, EngineKind kind, ContainerPlan plan, String workspacePath,
                                        EventSink events, Optional<HostIds> filesOwner, Optional<ExecAgent> agent,
                                        Runnable ensureImage, Runnable onClose) {
        String id;
        try {
            id = ContainerCreator.create(client, plan, ensureImage);
        } catch (EngineException e) {
            onClose.run();
            throw new SandboxStartException(e.getMessage() + "\n  plan: " + plan.describe(), e);
        } catch (RuntimeException e) {
            // the image could not be made or pulled: its own message names the image and the fix
            onClose.run();
            throw e instanceof SandboxStartException ? e : new SandboxStartException(e.getMessage(), e);
        }
        ContainerSession s = new ContainerSession(client, kind, plan, id, workspacePath, events, filesOwner, agent, onClose);
        SessionTracker.register(s);
        try {
            s.startContainer(false);
            return s;
        } catch (RuntimeException e) {
            s.close();
            throw e instanceof SandboxStartException ? e : new SandboxStartException(e.getMessage(), e);
        }
    }

    /**
     * Starts the container (again, after it stopped: {@code again}), watches it, and starts its exec agent or
     * calibrates the engine's execs.
     */
    private void startContainer(boolean again) {
        // the agent's FIFO is opened before the start, so its first write does not wait for us
        Optional<CompletableFuture<String>> calibration = agent.map(a -> {
            if (again) {
                a.reset();
            }
            return a.calibration();
        });
        try {
            client.api().startContainerCmd(containerId).exec();
        } catch (RuntimeException e) {
            agent.ifPresent(ExecAgent::abortCalibration);
            throw new SandboxStartException(client.failure("starting container " + plan.name(), e).getMessage()
                    + "\n  plan: " + plan.describe(), e);
        }
        hostNamespace = null;
        if (plan.stagedBinds()) {
            checkMounts();
        }
        watch(containerId);
        if (!startAgent(calibration)) {
            calibrate();
        }
    }

    /**
     * Refuses to run a container whose binds are not as planned (nosuid, nodev, read-only where planned): a
     * read-only bind whose flag comes from its staged source would be writable had the engine remounted it.
     */
    private void checkMounts() {
        List<String> problems;
        try {
            Long pid = client.api().inspectContainerCmd(containerId).exec().getState().getPidLong();
            problems = MountCheck.problems(pid == null ? -1 : pid, plan.binds());
        } catch (RuntimeException e) {
            problems = List.of("the container's init cannot be found: " + e.getMessage());
        }
        if (!problems.isEmpty()) {
            agent.ifPresent(ExecAgent::abortCalibration);
            try {
                client.api().killContainerCmd(containerId).exec();
            } catch (RuntimeException stoppedAlready) {
                // not running: nothing runs in it
            }
            throw new SandboxStartException(client.engineName() + ": the binds of container " + plan.name() + " are not"
                    + " as planned, so it is not used: " + String.join("; ", problems) + "; fix: report this engine and"
                    + " runtime version (the engine must keep a bind's source flags)\n  plan: " + plan.describe());
        }
    }

    /** Runs {@code export -p} once: the names it prints are what the engine and the shell add, removed from every exec. */
    private void calibrate() {
        List<String> argv = new ArrayList<>(plan.commandPrefix());
        argv.addAll(List.of("/bin/sh", "-c", ExecScripts.CALIBRATE_SCRIPT));
        ExecRunner.Outcome o = runner.runToEnd(argv, Map.of(), "/", Duration.ofSeconds(30), "sandbox4j-calibrate-" + plan.name());
        if (o.exitCode() != 0) {
            String why = o.stderr().isBlank() ? o.stdout() : o.stderr();
            throw new SandboxStartException(client.engineName() + ": the sandbox container " + plan.name() + " of image "
                    + plan.image() + " cannot run /bin/sh (exit " + o.exitCode() + ": " + why.strip() + "). Every command"
                    + " runs under a small POSIX sh wrapper that makes timeouts kill its whole process tree, so the image"
                    + " needs /bin/sh and sleep; fix: use an image that has them (busybox, debian, alpine, python...)"
                    + containerState());
        }
        addedVariables = ExecScripts.exportedNames(o.stdout());
    }

    /** True while the container runs (or when the engine cannot tell). */
    boolean containerRunning() {
        try {
            return Boolean.TRUE.equals(client.api().inspectContainerCmd(containerId).exec().getState().getRunning());
        } catch (RuntimeException e) {
            return true;
        }
    }

    String stateText() {
        return containerState();
    }

    /** Starts the engine connection that tells when the container stops or the engine goes away. */
    private void watch(String id) {
        ContainerWatch old = watch;
        if (old != null) {
            old.close();
        }
        try {
            ContainerWatch w = ContainerWatch.start(client.endpoint(), id, "sandbox4j-watch-" + plan.name());
            watch = w;
            w.ended().thenAccept(outcome -> {
                if (outcome == ContainerWatch.Outcome.ENGINE_LOST) {
                    engineLost(w);
                } else if (outcome == ContainerWatch.Outcome.STOPPED) {
                    stopped(w);
                }
            });
        } catch (java.io.IOException e) {
            watch = null;
            LOG.log(System.Logger.Level.WARNING, "cannot watch container " + plan.name() + "; commands run as engine execs: " + e);
        }
    }

    /**
     * The engine went away under the sandbox: commands running through the agent fail with the engine's
     * error (the core then kills their trees, through the agent), and no new command uses the agent, so
     * each fails as an engine exec does, with the engine's error and the fix.
     */
    private void engineLost(ContainerWatch w) {
        if (closed.get()) {
            return;
        }
        RuntimeException why = client.failure("watching sandbox container " + plan.name(), w.lostBecause());
        for (SandboxProcess p : List.copyOf(agentProcesses)) {
            ((ExecAgent.Abortable) p).fail(why);
        }
    }

    /**
     * The container stopped: every process in it is gone. An agent command's ends close by themselves (its
     * wrapper held them); one whose wrapper died before it opened them is ended after {@link #STOPPED_GRACE}.
     */
    private void stopped(ContainerWatch w) {
        if (closed.get() || watch != w) {
            return;
        }
        List<SandboxProcess> now = List.copyOf(agentProcesses);
        CompletableFuture.delayedExecutor(STOPPED_GRACE.toMillis(), TimeUnit.MILLISECONDS, KILLERS).execute(() -> {
            for (SandboxProcess p : now) {
                if (!p.onExit().isDone()) {
                    ((ExecAgent.Abortable) p).abort();
                }
            }
        });
    }

    /**
     * Waits for the exec agent (the container's main process) to write its calibration ({@code export -p})
     * and to open its request FIFO. Without the agent every command is an engine exec.
     *
     * @return true when the agent runs and the session is calibrated
     */
    private boolean startAgent(Optional<CompletableFuture<String>> calibration) {
        if (agent.isEmpty() || calibration.isEmpty()) {
            return false;
        }
        ContainerWatch w = watch;
        try {
            if (w == null) {
                agent.get().abortCalibration();
                return false;
            }
            // the container may stop at once (an image without /bin/sh): then the FIFO is never opened
            CompletableFuture.anyOf(calibration.get(), w.ended()).get(10, TimeUnit.SECONDS);
            if (calibration.get().isDone() && !calibration.get().isCompletedExceptionally()) {
                String text = calibration.get().join();
                int ready = text.indexOf(ExecAgent.READY);
                if (ready >= 0 && agent.get().connect(10_000)) {
                    addedVariables = ExecScripts.exportedNames(text.substring(0, ready));
                    return true;
                }
            }
        } catch (TimeoutException | ExecutionException e) {
            LOG.log(System.Logger.Level.DEBUG, "the exec agent of " + plan.name() + " did not answer: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        agent.get().abortCalibration();
        LOG.log(System.Logger.Level.WARNING, "the exec agent of " + plan.name() + " did not start; commands run"
                + " as engine execs" + containerState());
        return false;
    }

    private String containerState() {
        try {
            InspectContainerResponse.ContainerState st = client.api().inspectContainerCmd(containerId).exec().getState();
            return Boolean.TRUE.equals(st.getRunning()) ? "" : "; the container is not running: status " + st.getStatus()
                    + ", exit code " + st.getExitCodeLong() + (Boolean.TRUE.equals(st.getOOMKilled()) ? ", OOM-killed" : "")
                    + (st.getError() != null && !st.getError().isEmpty() ? ", error: " + st.getError() : "");
        } catch (RuntimeException e) {
            return "";
        }
    }

    @Override
    public Optional<HostIds> filesOwner() {
        return filesOwner;
    }

    @Override
    public String workspacePath() {
        return workspacePath;
    }

    @Override
    public SandboxProcess spawn(ProcessRequest request) {
        if (closed.get()) {
            throw new ExecException(client.engineName() + ": sandbox container " + plan.name()
                    + " is closed; open a new sandbox");
        }
        ContainerWatch w = watch;
        boolean stopped = w == null ? running.isEmpty() && agentProcesses.isEmpty()
                : w.ended().isDone() && w.ended().join() == ContainerWatch.Outcome.STOPPED;
        boolean agentLost = agent.isPresent() && agent.get().lost();
        if (stopped || stopExpected || agentLost) {
            // after killEverything, or once its agent died, the container may still be stopping: wait for it to
            // stop, then start it again (an engine exec now could start in the dying container and die with it)
            recover(stopExpected || agentLost);
        }
        String tag = plan.name() + "-" + execCounter.incrementAndGet();
        try {
            return start(request, tag);
        } catch (ExecException e) {
            // the container stopped a moment ago (its agent was just killed: the engine may not say so yet, so wait
            // for it then) or is stopping: start it again and run the command there
            if (recover(agent.isPresent() && agent.get().lost())) {
                return start(request, tag);
            }
            throw e;
        }
    }

    /** Starts the command through the exec agent when it runs, else as an engine exec. */
    private SandboxProcess start(ProcessRequest request, String tag) {
        Set<String> unset = new HashSet<>(addedVariables);
        unset.removeAll(request.env().keySet());
        // the watch is a live connection through the engine: when it ended, the container stopped or the
        // engine is gone, and the engine's own exec below either works or fails with the engine's error
        ContainerWatch w = watch;
        if (agent.isPresent() && agent.get().alive() && w != null && !w.ended().isDone()) {
            try {
                SandboxProcess p = agent.get().spawn(request.argv(), request.env(), request.workdir(), unset, tag,
                        this::killTree, () -> killEverything("the tree of " + tag + " could not be killed"));
                agentProcesses.add(p);
                p.onExit().whenComplete((x, t) -> agentProcesses.remove(p));
                return p;
            } catch (java.io.IOException e) {
                LOG.log(System.Logger.Level.DEBUG, "exec agent of " + plan.name() + " gone; using engine execs: " + e);
            }
        }
        List<String> argv = new ArrayList<>(plan.commandPrefix());
        argv.addAll(ExecScripts.wrapped(request.argv(), unset));
        try {
            ContainerProcess p = runner.start(argv, request.env(), request.workdir(), tag, this);
            running.add(p);
            p.onExit().whenComplete((x, t) -> running.remove(p));
            return p;
        } catch (EngineException e) {
            throw new ExecException(e.getMessage() + containerState() + " (command " + request.argv() + ")", e);
        }
    }

    /**
     * Kills the tree of the command whose pid inside is {@code pid} (see the class comment); false when
     * neither the host nor an exec inside could, within {@link #KILL_EXEC_BUDGET}.
     */
    boolean killTree(long pid, String tag) {
        if (kind != EngineKind.GVISOR) {
            Optional<HostKill.Namespace> ns = hostNamespace();
            if (ns.isPresent() && HostKill.killTree(ns.get(), pid) == HostKill.Outcome.KILLED) {
                return true;
            }
        }
        List<String> argv = kind == EngineKind.GVISOR ? SeccompHelper.killTreeCommand(pid)
                : List.of("/bin/sh", "-c", ExecScripts.KILL_SCRIPT, "sandbox4j-kill", Long.toString(pid));
        long deadline = System.nanoTime() + KILL_EXEC_BUDGET.toNanos();
        CompletableFuture<Boolean> exec = CompletableFuture.supplyAsync(() -> runner.runToEnd(argv, Map.of(), "/",
                Duration.ofSeconds(10), "sandbox4j-kill-" + tag).exitCode() == 0, KILLERS);
        try {
            return exec.get(KILL_EXEC_BUDGET.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            LOG.log(System.Logger.Level.DEBUG, "kill exec for " + tag + " took longer than " + KILL_EXEC_BUDGET);
            return false;
        } catch (ExecutionException e) {
            LOG.log(System.Logger.Level.DEBUG, "kill exec for " + tag + " failed", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        // the engine is gone: the agent, if it still runs, can run the kill script
        long left = deadline - System.nanoTime();
        if (agent.isPresent() && agent.get().alive() && left > 0) {
            try {
                SandboxProcess k = agent.get().spawn(argv, Map.of(), "/", addedVariables, "kill-" + tag, (p, t) -> false, () -> { });
                k.stdin().close();
                ExecRunner.drainInBackground(k.stdout(), "sandbox4j-kill-out");
                ExecRunner.drainInBackground(k.stderr(), "sandbox4j-kill-err");
                return k.onExit().get(left, TimeUnit.NANOSECONDS).exitCode() == 0;
            } catch (Exception e) {
                LOG.log(System.Logger.Level.DEBUG, "kill through the agent for " + tag + " failed", e);
            }
        }
        return false;
    }

    /** The container's pid namespace on the host, when its init is a host process this JVM can see and signal. */
    private Optional<HostKill.Namespace> hostNamespace() {
        Optional<HostKill.Namespace> ns = hostNamespace;
        if (ns == null) {
            try {
                Long pid = client.api().inspectContainerCmd(containerId).exec().getState().getPidLong();
                ns = HostKill.of(pid == null ? -1 : pid, ContainerPlanner.INIT_PATH);
            } catch (RuntimeException e) {
                ns = Optional.empty();
            }
            hostNamespace = ns;
        }
        return ns;
    }

    /**
     * Starts the container again when it stopped (see the class comment), reporting why; when someone else
     * started it again, watches it and takes up its new exec agent. Returns true when it started it.
     *
     * @param settle wait (up to 3 s) for the engine to see the container stop: an exec that failed in the
     *               runtime (exit 128) may be reported before the container's own end
     */
    synchronized boolean recover(boolean settle) {
        if (closed.get()) {
            return false;
        }
        InspectContainerResponse.ContainerState st;
        try {
            st = client.api().inspectContainerCmd(containerId).exec().getState();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
            while (settle && Boolean.TRUE.equals(st.getRunning()) && System.nanoTime() < deadline) {
                Thread.sleep(50);
                st = client.api().inspectContainerCmd(containerId).exec().getState();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (RuntimeException e) {
            return false;
        }
        ContainerWatch w = watch;
        if (Boolean.TRUE.equals(st.getRunning())) {
            if (w != null && w.ended().isDone() && w.ended().join() == ContainerWatch.Outcome.STOPPED) {
                // started again from outside: its agent waits for us at the FIFOs
                watch(containerId);
                hostNamespace = null;
                Optional<CompletableFuture<String>> calibration = agent.map(a -> {
                    a.reset();
                    return a.calibration();
                });
                startAgent(calibration);
            }
            return false;
        }
        if (Boolean.TRUE.equals(st.getOOMKilled())) {
            events.violation("limits.memory", "the sandbox used more memory than its limit " + plan.memoryBytes()
                    .orElse(0) + " bytes and the kernel killed it; its container " + plan.name() + " was started again");
        } else if (!stopExpected) {
            long code = st.getExitCodeLong() == null ? -1 : st.getExitCodeLong();
            events.progress("sandbox restart", "the container " + plan.name() + " stopped (exit code " + code
                    + (code == 137 ? ": its main process, the exec agent, was killed, as a command's kill -9 -1 does" : "")
                    + ") and was started again: the workspace is kept, running processes and tmpfs contents are lost");
        }
        stopExpected = false;
        for (SandboxProcess p : List.copyOf(agentProcesses)) {
            ((ExecAgent.Abortable) p).abort();
        }
        try {
            startContainer(true);
            return true;
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "starting " + plan.name() + " again failed", e);
            return false;
        }
    }

    /**
     * The last resort when a command's tree cannot be killed in time: the engine kills every process of the
     * sandbox (the whole container); the next command starts it again (the workspace survives, tmpfs
     * contents do not). Reported as a violation of limits.pids when the policy has a pids limit (the usual
     * cause: no process can start to kill the tree), else as a progress event.
     */
    void killEverything(String why) {
        if (closed.get()) {
            return;
        }
        stopExpected = true;
        String what = why + ": every process of the sandbox was killed; its container starts again for the next command";
        if (plan.pidsLimit().isPresent()) {
            events.violation("limits.pids", what);
        } else {
            events.progress("sandbox restart", what);
        }
        try {
            client.api().killContainerCmd(containerId).exec();
        } catch (ConflictException | NotFoundException notRunning) {
            // stopped already
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "kill of " + plan.name() + " failed", e);
        }
    }

    /** Waits up to {@code max} for the container to be seen stopped (its watch ends); returns at once without one. */
    void awaitStop(Duration max) {
        ContainerWatch w = watch;
        if (w == null) {
            return;
        }
        try {
            w.ended().get(max.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            // still running: the kill did not reach its keep-alive
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    EngineClient client() {
        return client;
    }

    String name() {
        return plan.name();
    }

    boolean isClosed() {
        return closed.get();
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            for (ContainerProcess p : List.copyOf(running)) {
                p.abandon();
            }
            removeContainer(client, containerId);
            if (client.engineName().equals("Podman")) {
                ConmonLeftovers.killFor(plan.name(), containerId);
            }
            for (SandboxProcess p : List.copyOf(agentProcesses)) {
                ((ExecAgent.Abortable) p).abort();
            }
            ContainerWatch w = watch;
            if (w != null) {
                w.close();
            }
        } finally {
            SessionTracker.unregister(this);
            try {
                onClose.run();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "releasing the engine of " + plan.name() + " failed", e);
            }
        }
    }

    /** Removes a container by force (killing what runs in it); a container already gone is fine. */
    static void removeContainer(EngineClient client, String id) {
        try {
            client.api().removeContainerCmd(id).withForce(true).withRemoveVolumes(true).exec();
        } catch (NotFoundException gone) {
            // already removed
        } catch (RuntimeException e) {
            if (!String.valueOf(e.getMessage()).contains("already in progress")) {
                LOG.log(System.Logger.Level.WARNING, "cannot remove container " + id + " from " + client.endpoint()
                        + " (the reaper will retry): " + EngineClient.message(e));
            }
        }
    }
}
