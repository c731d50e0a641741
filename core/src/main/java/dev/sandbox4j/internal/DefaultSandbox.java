package dev.sandbox4j.internal;

import dev.sandbox4j.Command;
import dev.sandbox4j.ExecException;
import dev.sandbox4j.ExecResult;
import dev.sandbox4j.Execution;
import dev.sandbox4j.FileAccessException;
import dev.sandbox4j.InvalidInputException;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.OutputListener;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.SandboxEvent;
import dev.sandbox4j.SandboxException;
import dev.sandbox4j.SandboxFiles;
import dev.sandbox4j.internal.exec.ExecSettings;
import dev.sandbox4j.internal.exec.ExecThreads;
import dev.sandbox4j.internal.exec.RunningExecution;
import dev.sandbox4j.internal.files.TempWorkspace;
import dev.sandbox4j.internal.files.WorkspaceFiles;
import dev.sandbox4j.internal.host.SandboxHosts;
import dev.sandbox4j.internal.host.SetIdSweep;
import dev.sandbox4j.spi.BackendSession;
import dev.sandbox4j.spi.ProcessRequest;
import dev.sandbox4j.spi.SandboxProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The one {@link Sandbox} implementation: it resolves each command against the policy (environment,
 * working directory, timeout, output cap), has the backend session spawn it and the exec engine follow
 * it, and tells the listeners. After every exec, and at close, it sweeps the sandbox's writable trees for
 * set-id files ({@link SetIdSweep}: the last line behind each backend's set-id guard). Thread-safe; no
 * lock is held while a listener or the backend runs.
 */
final class DefaultSandbox implements Sandbox {
    private static final System.Logger LOG = System.getLogger("dev.sandbox4j");
    /** How long close() waits for killed commands to report their exit, before and after the session closes. */
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(5);

    private final String id;
    private final String backend;
    private final IsolationPolicy policy;
    private final BackendSession session;
    private final SandboxHosts.Prepared host;
    private final Path hostWorkspace;
    private final boolean tempWorkspace;
    private final EventFanout events;
    /** True while a sweep is queued and not yet started: exec ends meanwhile need no sweep of their own. */
    private final AtomicBoolean sweepQueued = new AtomicBoolean();
    private final SandboxFiles files;
    private final AtomicLong execIds = new AtomicLong();
    private final Set<RunningExecution> running = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();

    DefaultSandbox(String id, String backend, IsolationPolicy policy, BackendSession session, SandboxHosts.Prepared host,
                   EventFanout events) {
        this.id = id;
        this.backend = backend;
        this.policy = policy;
        this.session = session;
        this.host = host;
        this.hostWorkspace = host.workspace();
        this.tempWorkspace = host.temporary();
        this.events = events;
        this.files = session.files().orElseGet(() -> new WorkspaceFiles(hostWorkspace, session.workspacePath(),
                session.filesOwner()));
        ShutdownCloser.register(this);
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public String backend() {
        return backend;
    }

    @Override
    public IsolationPolicy policy() {
        return policy;
    }

    @Override
    public String workspacePath() {
        return session.workspacePath();
    }

    @Override
    public ExecResult exec(Command command) {
        return launch(command, ExecSettings.Mode.COLLECT, Optional.empty()).awaitOrKill();
    }

    @Override
    public Execution start(Command command) {
        return launch(command, ExecSettings.Mode.STREAM, Optional.empty());
    }

    @Override
    public Execution start(Command command, OutputListener listener) {
        if (listener == null) {
            throw new InvalidInputException("start: no output listener given; use start(command) to read the streams");
        }
        return launch(command, ExecSettings.Mode.LISTENER, Optional.of(listener));
    }

    private RunningExecution launch(Command command, ExecSettings.Mode mode, Optional<OutputListener> listener) {
        if (command == null) {
            throw new InvalidInputException("exec: no command given; use Command.of(\"program\", \"arg\"...)");
        }
        if (closed.get()) {
            throw closedException(command);
        }
        long execId = execIds.incrementAndGet();
        ProcessRequest request = new ProcessRequest(command.argv(), environment(command),
                command.workdir().orElse(session.workspacePath()));
        long t0 = System.nanoTime();
        SandboxProcess process;
        try {
            process = session.spawn(request);
        } catch (SandboxException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new ExecException("backend " + backend + " could not start " + command.argv() + " in sandbox " + id
                    + ": " + e, e);
        }
        if (process == null) {
            throw new ExecException("backend " + backend + " returned no process for " + command.argv()
                    + " (a backend bug)");
        }
        events.emit(new SandboxEvent.ExecStarted(id, Instant.now(), execId, command.argv()));
        ExecSettings settings = new ExecSettings(id, execId, backend,
                command.timeout().orElse(policy.limits().wallTime()),
                command.maxOutput().orElse(policy.limits().maxOutput()).bytes(),
                command.stdin(), mode, listener, t0);
        RunningExecution e = RunningExecution.prepare(process, settings, (done, r) -> {
            running.remove(done);
            host.storageFull().ifPresent(limit -> events.violation("limits.disk", "the sandbox's storage of " + limit
                    + " (its workspace, tmpfs paths and writable mounts together) is full; a write failed or will fail"
                    + " with ENOSPC (No space left on device)"));
            sweepSoon();
            events.emit(new SandboxEvent.ExecFinished(id, Instant.now(), execId, r));
        });
        running.add(e);
        e.onExit().whenComplete((r, failure) -> {
            if (failure != null) {
                running.remove(e);
                LOG.log(System.Logger.Level.DEBUG, "exec " + execId + " of sandbox " + id + " failed", failure);
            }
        });
        e.begin();
        if (closed.get()) {
            // close() ran while we spawned and may have missed this one: it must not outlive the sandbox
            e.kill();
            throw closedException(command);
        }
        return e;
    }

    /** The policy's variables, the inherited host variables the host has, then the command's own (they win). */
    private Map<String, String> environment(Command command) {
        Map<String, String> env = new LinkedHashMap<>(policy.environment().variables());
        for (String name : policy.environment().inherit()) {
            String v = System.getenv(name);
            if (v != null) {
                env.put(name, v);
            }
        }
        env.putAll(command.env());
        return env;
    }

    /** Queues one sweep of the writable trees, unless one is queued already. */
    private void sweepSoon() {
        if (sweepQueued.compareAndSet(false, true)) {
            ExecThreads.workers().execute(() -> {
                sweepQueued.set(false);
                report(host.sweep());
            });
        }
    }

    private void report(SetIdSweep.Result r) {
        if (r.stripped() > 0) {
            events.violation("filesystem.setid", r.stripped() + " file(s) with a set-id bit were found in the sandbox's"
                    + " writable host directories and the bit was cleared (a backend's set-id guard let it through, or"
                    + " it was put there from the host)");
        }
    }

    private ExecException closedException(Command command) {
        return new ExecException("cannot run " + command.argv() + ": sandbox " + id + " is closed; build a new one");
    }

    @Override
    public SandboxFiles files() {
        if (closed.get()) {
            throw new FileAccessException(FileAccessException.Reason.CLOSED, "files: sandbox " + id
                    + " is closed; build a new one");
        }
        return files;
    }

    @Override
    public boolean isClosed() {
        return closed.get();
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        ShutdownCloser.unregister(this);
        List<RunningExecution> live = List.copyOf(running);
        for (RunningExecution e : live) {
            e.kill();
        }
        awaitAll(live);
        try {
            session.close();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "closing the " + backend + " session of sandbox " + id
                    + " failed (a backend bug: close() must not throw)", e);
        }
        awaitAll(live);
        for (RunningExecution e : live) {
            if (!e.onExit().isDone()) {
                e.abandon("sandbox " + id + " was closed and backend " + backend
                        + " did not report the exit of this command after it was killed");
            }
        }
        report(host.finalSweep());
        if (tempWorkspace) {
            try {
                TempWorkspace.delete(hostWorkspace);
            } catch (Exception e) {
                LOG.log(System.Logger.Level.WARNING, "could not delete the temp workspace " + hostWorkspace
                        + " of sandbox " + id + "; Reaper.reapLeftovers() removes it once this JVM has ended", e);
            }
        }
        host.close();
        events.emit(new SandboxEvent.Closed(id, Instant.now()));
    }

    private static void awaitAll(List<RunningExecution> live) {
        if (live.isEmpty()) {
            return;
        }
        try {
            CompletableFuture.allOf(live.stream().map(RunningExecution::onExit).toArray(CompletableFuture[]::new))
                    .get(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            // a failed or late execution: close() goes on and reports it through its future
        }
    }

    @Override
    public String toString() {
        return "Sandbox[" + id + ", backend=" + backend + ", workspace=" + session.workspacePath()
                + (closed.get() ? ", closed" : "") + "]";
    }
}
