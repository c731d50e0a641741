package dev.sandbox4j.internal;

import dev.sandbox4j.InvalidInputException;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.SandboxEvent;
import dev.sandbox4j.SandboxException;
import dev.sandbox4j.SandboxImage;
import dev.sandbox4j.SandboxListener;
import dev.sandbox4j.SandboxStartException;
import dev.sandbox4j.internal.files.TempWorkspace;
import dev.sandbox4j.internal.select.BackendRegistry;
import dev.sandbox4j.spi.BackendSession;
import dev.sandbox4j.spi.SandboxBackend;
import dev.sandbox4j.spi.SandboxSpec;
import dev.sandbox4j.spi.SessionLabels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Opens a sandbox: picks the backend (which refuses what it cannot enforce), prepares the workspace,
 * has the backend open its session and wraps it. On any failure nothing is left behind. Stateless.
 */
public final class SandboxFactory {
    private static final System.Logger LOG = System.getLogger("dev.sandbox4j");
    private static final SecureRandom RANDOM = new SecureRandom();

    private SandboxFactory() {
    }

    public static Sandbox open(Optional<String> backend, IsolationPolicy policy, SandboxImage image,
                               List<SandboxListener> listeners, Optional<Path> workspace, Map<String, String> options) {
        String name = BackendRegistry.requestedName(backend);
        SandboxBackend chosen = BackendRegistry.global().choose(name, policy, image);
        String id = newId();
        Path ws = workspace.isPresent() ? checkWorkspace(workspace.get()) : TempWorkspace.create(id);
        boolean temp = workspace.isEmpty();
        EventFanout events = new EventFanout(id, listeners);
        SandboxSpec spec = new SandboxSpec(id, SessionLabels.current(), policy, image, ws, options, events);
        BackendSession session;
        try {
            session = chosen.open(spec);
            if (session == null) {
                throw new SandboxStartException("backend " + chosen.name() + " returned no session (a backend bug)");
            }
        } catch (SandboxException e) {
            discard(temp, ws);
            throw e;
        } catch (RuntimeException | LinkageError e) {
            discard(temp, ws);
            throw new SandboxStartException("backend " + chosen.name() + " failed to open sandbox " + id + ": " + e, e);
        }
        DefaultSandbox sandbox = new DefaultSandbox(id, chosen.name(), policy, session, ws, temp, events);
        events.emit(new SandboxEvent.Created(id, Instant.now(), chosen.name(), policy));
        return sandbox;
    }

    /** 12 hex digits: unique enough within a session, short enough for names and labels. */
    static String newId() {
        byte[] r = new byte[6];
        RANDOM.nextBytes(r);
        return HexFormat.of().formatHex(r);
    }

    private static Path checkWorkspace(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new InvalidInputException("workspace: '" + dir + "' does not exist or is not a directory; create it"
                    + " first, or leave .workspace() out to get a fresh temp directory");
        }
        try {
            // backends mount or share it: give them the real path, without symlinks on the way
            return dir.toRealPath();
        } catch (IOException e) {
            throw new InvalidInputException("workspace: '" + dir + "' cannot be resolved (" + e.getMessage() + ")", e);
        }
    }

    private static void discard(boolean temp, Path ws) {
        if (!temp) {
            return;
        }
        try {
            TempWorkspace.delete(ws);
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "could not delete the temp workspace " + ws
                    + " after a failed start; Reaper.reapLeftovers() removes it once this JVM has ended", e);
        }
    }
}
