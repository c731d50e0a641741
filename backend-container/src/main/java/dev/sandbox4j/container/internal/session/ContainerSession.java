package dev.sandbox4j.container.internal.session;

import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import dev.sandbox4j.ExecException;
import dev.sandbox4j.SandboxFiles;
import dev.sandbox4j.SandboxStartException;
import dev.sandbox4j.container.internal.agent.ExecAgent;
import dev.sandbox4j.container.internal.engine.EngineClient;
import dev.sandbox4j.container.internal.engine.ContainerWatch;
import dev.sandbox4j.container.internal.engine.EngineException;
import dev.sandbox4j.container.internal.plan.ContainerPlan;
import dev.sandbox4j.spi.BackendSession;
import dev.sandbox4j.spi.EventSink;
import dev.sandbox4j.spi.ProcessRequest;
import dev.sandbox4j.spi.SandboxProcess;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One sandbox: one container kept alive by its init; commands run in it through the exec agent when the
 * session has one (ContainerBackendSupport#useAgent), else through the Exec API. Thread-safe.
 * The workspace is a bind mount of the host directory, so files move on the host side, through the core's
 * files API (it refuses {@code ..} and symlinks, and its tar export stores symlinks as links, never
 * following them); when the container's user is not the JVM's, {@link #files()} wraps it so that what it
 * creates belongs to the sandbox's user.
 */
public final class ContainerSession implements BackendSession {
    private static final System.Logger LOG = System.getLogger(ContainerSession.class.getName());

    private final EngineClient client;
    private final ContainerPlan plan;
    private final String containerId;
    private final String workspacePath;
    private final EventSink events;
    private final Runnable onClose;
    private final Optional<SandboxFiles> files;
    private final Optional<ExecAgent> agent;
    private volatile ContainerWatch watch;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicLong execCounter = new AtomicLong();
    private final Set<ContainerProcess> running = ConcurrentHashMap.newKeySet();
    private final Set<SandboxProcess> agentProcesses = ConcurrentHashMap.newKeySet();
    private final ExecRunner runner;
    private volatile Set<String> addedVariables = Set.of();

    private ContainerSession(EngineClient client, ContainerPlan plan, String containerId, String workspacePath,
                             EventSink events, Optional<SandboxFiles> files, Optional<ExecAgent> agent, Runnable onClose) {
        this.files = files;
        this.agent = agent;
        this.client = client;
        this.plan = plan;
        this.containerId = containerId;
        this.workspacePath = workspacePath;
        this.events = events;
        this.onClose = onClose;
        this.runner = new ExecRunner(client, containerId, plan.user());
    }

    /**
     * Creates and starts the container of {@code plan}, and learns which variables the engine adds to an
     * exec's environment. On failure removes what it made and throws {@link SandboxStartException}.
     *
     * @param files   the files API when the core's own would leave files the sandbox's user cannot change
     * @param ensureImage imports or pulls the plan's image; run when the engine has no image of that name
     * @param onClose run once when the session closes (releases the workspace and a private engine service)
     */
    public static ContainerSession open(EngineClient client, ContainerPlan plan, String workspacePath, EventSink events,
                                        Optional<SandboxFiles> files, Optional<ExecAgent> agent, Runnable ensureImage,
                                        Runnable onClose) {
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
        ContainerSession s = new ContainerSession(client, plan, id, workspacePath, events, files, agent, onClose);
        SessionTracker.register(s);
        try {
            // the agent's FIFO is opened before the start, so its first write does not wait for us
            Optional<java.util.concurrent.CompletableFuture<String>> calibration = agent.map(ExecAgent::calibration);
            try {
                client.api().startContainerCmd(id).exec();
            } catch (RuntimeException e) {
                throw new SandboxStartException(client.failure("starting container " + plan.name(), e).getMessage()
                        + "\n  plan: " + plan.describe(), e);
            }
            s.watch(id);
            if (!s.startAgent(calibration)) {
                s.calibrate();
            }
            return s;
        } catch (RuntimeException e) {
            s.close();
            throw e instanceof SandboxStartException ? e : new SandboxStartException(e.getMessage(), e);
        }
    }

    /** Runs {@code export -p} once: the names it prints are what the engine and the shell add, removed from every exec. */
    private void calibrate() {
        ExecRunner.Outcome o = runner.runToEnd(List.of("/bin/sh", "-c", ExecScripts.CALIBRATE_SCRIPT), Map.of(),
                "/", java.time.Duration.ofSeconds(30), "sandbox4j-calibrate-" + plan.name());
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
        if (agent.isEmpty()) {
            return;
        }
        try {
            ContainerWatch w = ContainerWatch.start(client.endpoint(), id, "sandbox4j-watch-" + plan.name());
            watch = w;
            w.ended().thenAccept(outcome -> {
                if (outcome == ContainerWatch.Outcome.ENGINE_LOST) {
                    engineLost(w);
                }
            });
        } catch (java.io.IOException e) {
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
     * Waits for the exec agent (the container's main process) to write its calibration ({@code export -p})
     * and to open its request FIFO. Without the agent every command is an engine exec.
     *
     * @return true when the agent runs and the session is calibrated
     */
    private boolean startAgent(Optional<java.util.concurrent.CompletableFuture<String>> calibration) {
        if (agent.isEmpty() || calibration.isEmpty()) {
            return false;
        }
        try {
            if (watch == null) {
                agent.get().abortCalibration();
                return false;
            }
            // the container may stop at once (an image without /bin/sh): then the FIFO is never opened
            java.util.concurrent.CompletableFuture.anyOf(calibration.get(), watch.ended()).get(10, java.util.concurrent.TimeUnit.SECONDS);
            if (calibration.get().isDone() && !calibration.get().isCompletedExceptionally()) {
                String text = calibration.get().join();
                int ready = text.indexOf(ExecAgent.READY);
                if (ready >= 0 && agent.get().connect(10_000)) {
                    addedVariables = ExecScripts.exportedNames(text.substring(0, ready));
                    return true;
                }
            }
        } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
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
    public Optional<SandboxFiles> files() {
        return files;
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
        Set<String> unset = new HashSet<>(addedVariables);
        unset.removeAll(request.env().keySet());
        String tag = plan.name() + "-" + execCounter.incrementAndGet();
        // an OOM kill that stopped the container: with a watch, only once it said the container stopped
        boolean maybeStopped = watch == null || watch.ended().isDone();
        if (plan.memoryBytes().isPresent() && running.isEmpty() && agentProcesses.isEmpty() && maybeStopped) {
            recoverFromOom();
        }
        // the watch is a live connection through the engine: when it ended, the container stopped or the
        // engine is gone, and the engine's own exec below either works or fails with the engine's error
        if (agent.isPresent() && agent.get().alive() && watch != null && !watch.ended().isDone()) {
            try {
                SandboxProcess p = agent.get().spawn(request.argv(), request.env(), request.workdir(), unset, tag,
                        this::killTree, () -> killEverything("the kill script for " + tag + " could not run"));
                agentProcesses.add(p);
                p.onExit().whenComplete((x, t) -> agentProcesses.remove(p));
                return p;
            } catch (java.io.IOException e) {
                LOG.log(System.Logger.Level.DEBUG, "exec agent of " + plan.name() + " gone; using engine execs: " + e);
            }
        }
        List<String> argv = new java.util.ArrayList<>(plan.commandPrefix());
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
     * Kills the tree of the command whose pid inside is {@code pid}: the kill script as an engine exec,
     * else (the engine is gone) through the exec agent. False when neither could run it.
     */
    boolean killTree(long pid, String tag) {
        List<String> argv = List.of("/bin/sh", "-c", ExecScripts.KILL_SCRIPT, "sandbox4j-kill", Long.toString(pid));
        try {
            ExecRunner.Outcome o = runner.runToEnd(argv, Map.of(), "/", java.time.Duration.ofSeconds(10), "sandbox4j-kill-" + tag);
            return o.exitCode() == 0;
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "kill exec for " + tag + " failed", e);
        }
        if (agent.isPresent() && agent.get().alive()) {
            try {
                SandboxProcess k = agent.get().spawn(argv, Map.of(), "/", addedVariables, "kill-" + tag, (p, t) -> false, () -> { });
                k.stdin().close();
                ExecRunner.drainInBackground(k.stdout(), "sandbox4j-kill-out");
                ExecRunner.drainInBackground(k.stderr(), "sandbox4j-kill-err");
                return k.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS).exitCode() == 0;
            } catch (Exception e) {
                LOG.log(System.Logger.Level.DEBUG, "kill through the agent for " + tag + " failed", e);
            }
        }
        return false;
    }

    /**
     * When the container is no longer running because the memory limit killed it (gVisor: the whole
     * sandbox kernel is OOM-killed, not just the hog), reports a limits.memory violation and starts it
     * again, so the sandbox stays usable (workspace kept; processes and tmpfs contents lost). Returns true
     * when it restarted the container.
     */
    synchronized boolean recoverFromOom() {
        return recoverFromOom(false);
    }

    /**
     * @param settle wait (up to 3 s) for the engine to see the container stop: an exec that failed in the
     *               runtime (exit 128) may be reported before the container's own end
     */
    synchronized boolean recoverFromOom(boolean settle) {
        if (closed.get()) {
            return false;
        }
        InspectContainerResponse.ContainerState st;
        try {
            st = client.api().inspectContainerCmd(containerId).exec().getState();
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(3);
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
        if (Boolean.TRUE.equals(st.getRunning()) || !Boolean.TRUE.equals(st.getOOMKilled())) {
            return false;
        }
        events.violation("limits.memory", "the sandbox used more memory than its limit " + plan.memoryBytes()
                .orElse(0) + " bytes and the kernel killed it; its container " + plan.name() + " was restarted");
        try {
            client.api().startContainerCmd(containerId).exec();
            return true;
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "restart of " + plan.name() + " after OOM failed", e);
            return false;
        }
    }

    /**
     * The last resort when the kill exec cannot run (the pids limit is exhausted, so no exec can start):
     * kills every process of the sandbox by restarting its container; the workspace survives, tmpfs
     * contents do not. Reported as a violation of limits.pids.
     */
    void killEverything(String why) {
        if (closed.get()) {
            return;
        }
        events.violation("limits.pids", why + ": every process of the sandbox was killed and its container restarted");
        try {
            client.api().restartContainerCmd(containerId).withTimeout(0).exec();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "restart of " + plan.name() + " failed", e);
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
                ((dev.sandbox4j.container.internal.agent.ExecAgent.Abortable) p).abort();
            }
            if (watch != null) {
                watch.close();
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
