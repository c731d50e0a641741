package dev.sandbox4j.internal;

import dev.sandbox4j.BackendUnavailableException;
import dev.sandbox4j.BackendInfo;
import dev.sandbox4j.InvalidInputException;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.SandboxEvent;
import dev.sandbox4j.SandboxException;
import dev.sandbox4j.SandboxImage;
import dev.sandbox4j.SandboxListener;
import dev.sandbox4j.SandboxStartException;
import dev.sandbox4j.internal.files.TempWorkspace;
import dev.sandbox4j.internal.host.SandboxHosts;
import dev.sandbox4j.internal.select.BackendRegistry;
import dev.sandbox4j.spi.BackendSession;
import dev.sandbox4j.spi.IsolationLevel;
import dev.sandbox4j.spi.SandboxBackend;
import dev.sandbox4j.spi.SandboxSpec;
import dev.sandbox4j.spi.SessionLabels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Opens a sandbox: picks the backend (which refuses what it cannot enforce), prepares the host side (the
 * sandbox's host ids, the workspace, every host path pinned: {@link SandboxHosts}), has the backend open
 * its session and wraps it. On any failure nothing is left behind. The first call of a JVM also starts
 * the background reap of ended JVMs' leftovers ({@link AutomaticReap}). Stateless.
 */
public final class SandboxFactory {
    private static final System.Logger LOG = System.getLogger("dev.sandbox4j");
    private static final SecureRandom RANDOM = new SecureRandom();

    private SandboxFactory() {
    }

    public static Sandbox open(Optional<String> backend, IsolationPolicy policy, SandboxImage image,
                               List<SandboxListener> listeners, Optional<Path> workspace, Map<String, String> options) {
        return open(BackendRegistry.global(), backend, policy, image, listeners, workspace, options);
    }

    /** The backend that {@link #open} would choose for these settings (its options included), opening nothing. */
    public static BackendInfo choose(Optional<String> backend, IsolationPolicy policy, SandboxImage image,
                                     Map<String, String> options) {
        BackendRegistry registry = BackendRegistry.global();
        SandboxBackend chosen = registry.choose(BackendRegistry.requestedName(backend), policy, image, options);
        return new BackendInfo(chosen.name(), chosen.isolation(), registry.probe(chosen), chosen.capabilities());
    }

    /** As {@link #open(Optional, IsolationPolicy, SandboxImage, List, Optional, Map)}, choosing among {@code registry}'s backends. */
    static Sandbox open(BackendRegistry registry, Optional<String> backend, IsolationPolicy policy, SandboxImage image,
                        List<SandboxListener> listeners, Optional<Path> workspace, Map<String, String> options) {
        AutomaticReap.startOnce();
        String name = BackendRegistry.requestedName(backend);
        SandboxBackend chosen = registry.choose(name, policy, image, options);
        String id = newId();
        Optional<Path> callerWorkspace = workspace.map(SandboxFactory::checkWorkspace);
        SandboxHosts.Prepared host = SandboxHosts.prepare(id, policy, image, callerWorkspace,
                chosen.isolation() != IsolationLevel.NONE);
        EventFanout events = new EventFanout(id, listeners);
        BackendSession session;
        try {
            SandboxSpec spec = new SandboxSpec(id, SessionLabels.current(), policy, image, host.host().workspace().path(),
                    BackendRegistry.backendOptions(options), events, host.host());
            session = chosen.open(spec);
            if (session == null) {
                throw new SandboxStartException("backend " + chosen.name() + " returned no session (a backend bug)");
            }
        } catch (SandboxException e) {
            discard(host);
            if (e instanceof BackendUnavailableException) {
                // its probe said available a moment ago and was wrong: the next build probes afresh
                registry.forget(chosen.name());
            }
            throw e;
        } catch (RuntimeException | LinkageError e) {
            discard(host);
            throw new SandboxStartException("backend " + chosen.name() + " failed to open sandbox " + id + ": " + e, e);
        }
        DefaultSandbox sandbox = new DefaultSandbox(id, chosen.name(), policy, session, host, events);
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
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            throw new InvalidInputException("workspace: '" + dir + "' does not exist or is not a directory"
                    + (Files.isSymbolicLink(dir) ? " (it is a symbolic link, which sandbox4j never follows: give the real path)"
                    : "") + "; create it first, or leave .workspace() out to get a fresh temp directory");
        }
        return dir;
    }

    private static void discard(SandboxHosts.Prepared host) {
        if (host.temporary()) {
            try {
                TempWorkspace.delete(host.workspace());
            } catch (IOException | RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "could not delete the temp workspace " + host.workspace()
                        + " after a failed start; Reaper.reapLeftovers() removes it once this JVM has ended", e);
            }
        }
        host.close();
    }
}
