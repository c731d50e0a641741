package dev.sandbox4j.internal.none;

import dev.sandbox4j.ExecException;
import dev.sandbox4j.spi.BackendSession;
import dev.sandbox4j.spi.ProcessRequest;
import dev.sandbox4j.spi.SandboxProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * One none sandbox: host processes started with exactly the request's environment and working
 * directory, each leading its own session (through {@code setsid}, where installed) so that its whole
 * tree can be found and killed. {@link #close()} kills every tree it started. Thread-safe.
 */
final class NoneSession implements BackendSession {
    private static final int PRUNE_EVERY = 32;

    private final Path workspace;
    private final Optional<Path> setsid;
    private final Set<HostProcess> started = ConcurrentHashMap.newKeySet();
    /** Spawns share it; close takes it alone, so no process can start after close() killed the rest. */
    private final ReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private boolean closed;

    NoneSession(Path workspace, Optional<Path> setsid) {
        this.workspace = workspace.toAbsolutePath().normalize();
        this.setsid = setsid;
    }

    @Override
    public String workspacePath() {
        return workspace.toString();
    }

    @Override
    public SandboxProcess spawn(ProcessRequest request) {
        lifecycle.readLock().lock();
        try {
            if (closed) {
                throw new ExecException("none: the session is closed; build a new sandbox");
            }
            Path workdir = Path.of(request.workdir());
            if (!Files.isDirectory(workdir)) {
                throw new ExecException("none: cannot run " + request.argv() + ": the working directory '" + workdir
                        + "' does not exist or is not a directory; create it (files().mkdirs) or choose another workdir");
            }
            String program = request.argv().get(0);
            Optional<ProgramLookup.Failure> cannot = ProgramLookup.check(program, request.env(), workdir);
            if (cannot.isPresent()) {
                return new FixedExitProcess(cannot.get().exitCode(), cannot.get().message());
            }
            pruneFinished();
            List<String> argv = new ArrayList<>();
            setsid.ifPresent(s -> {
                argv.add(s.toString());
                argv.add("--");
            });
            argv.addAll(request.argv());
            ProcessBuilder pb = new ProcessBuilder(argv).directory(workdir.toFile());
            pb.environment().clear();
            pb.environment().putAll(request.env());
            long notBefore = ProcTable.nowTicks();
            Process p;
            try {
                p = pb.start();
            } catch (IOException e) {
                String m = String.valueOf(e.getMessage());
                if (m.contains("error=2,")) {
                    return new FixedExitProcess(127, program + ": command not found");
                } else if (m.contains("error=13,")) {
                    return new FixedExitProcess(126, program + ": Permission denied");
                }
                throw new ExecException("none: cannot start " + request.argv() + " in " + workdir + ": " + m, e);
            }
            HostProcess hp = new HostProcess(p, setsid.isPresent(), notBefore);
            started.add(hp);
            return hp;
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    /**
     * Forgets trees that are entirely gone, so a long-lived session does not accumulate them. It reads
     * /proc, so it runs only while {@link #PRUNE_EVERY} or more trees are tracked, not on every spawn.
     */
    private void pruneFinished() {
        if (started.size() < PRUNE_EVERY) {
            return;
        }
        List<HostProcess> rootGone = started.stream().filter(h -> !h.rootAlive()).toList();
        if (rootGone.isEmpty()) {
            return;
        }
        List<ProcTable.Entry> snapshot = ProcTable.available() ? ProcTable.snapshot() : null;
        for (HostProcess h : rootGone) {
            if (h.tree().members(snapshot).isEmpty()) {
                started.remove(h);
            }
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
        try {
            ProcessTree.killAll(started.stream().map(HostProcess::tree).toList());
        } catch (RuntimeException e) {
            // never throws, by contract
        }
        started.clear();
    }
}
