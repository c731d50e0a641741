package dev.sandbox4j.spi;

import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.SandboxImage;
import dev.sandbox4j.internal.files.TempWorkspace;
import dev.sandbox4j.internal.host.SandboxHosts;
import java.io.IOException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;

/**
 * A spec for a backend's own trial sandbox, such as a {@link SandboxBackend#probe()} that runs
 * {@code true} to prove the backend works here: its host side is prepared by the core exactly as a real
 * sandbox's (its own host ids, a fresh workspace, pinned paths), and {@link #close()} releases it after the
 * backend closed the session. Not thread-safe; one per trial.
 */
public final class TrialSpec implements AutoCloseable {
    private static final SecureRandom RANDOM = new SecureRandom();
    private final SandboxHosts.Prepared host;
    private final SandboxSpec spec;

    private TrialSpec(SandboxHosts.Prepared host, SandboxSpec spec) {
        this.host = host;
        this.spec = spec;
    }

    /**
     * Prepares the host for a trial sandbox with {@code policy} and the host image.
     *
     * @throws dev.sandbox4j.SandboxException when the host side cannot be prepared (named)
     */
    public static TrialSpec prepare(IsolationPolicy policy) {
        byte[] r = new byte[4];
        RANDOM.nextBytes(r);
        String id = "trial" + HexFormat.of().formatHex(r);
        SandboxHosts.Prepared host = SandboxHosts.prepare(id, policy, SandboxImage.host(), Optional.empty(), true);
        return new TrialSpec(host, new SandboxSpec(id, SessionLabels.current(), policy, SandboxImage.host(),
                host.host().workspace().path(), Map.of(), EventSink.discard(), host.host()));
    }

    public SandboxSpec spec() {
        return spec;
    }

    /** Deletes the trial's workspace and releases its host side. Call after the backend's session closed. */
    @Override
    public void close() {
        try {
            TempWorkspace.delete(host.workspace());
        } catch (IOException | RuntimeException e) {
            System.getLogger(TrialSpec.class.getName()).log(System.Logger.Level.WARNING,
                    "could not delete the trial workspace " + host.workspace() + ": " + e);
        }
        host.close();
    }
}
