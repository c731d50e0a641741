package dev.sandbox4j;

import dev.sandbox4j.internal.Validate;
import dev.sandbox4j.internal.SandboxFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * Configures and opens a {@link Sandbox}. Defaults: the backend named by the {@code sandbox4j.backend}
 * system property, else by the {@code SANDBOX4J_BACKEND} environment variable, else {@code auto};
 * {@link IsolationPolicy#strict()}, {@link SandboxImage#host()}, no listener, and a
 * fresh private workspace directory that {@code close()} deletes.
 *
 * <p>Configuring is not thread-safe. Once configured, {@link #build()} may be called again and again,
 * also from several threads at once (it only reads the configuration): each call opens a new, separate
 * sandbox (with its own temp workspace unless {@link #workspace(Path)} was given, which they then share).
 */
public final class SandboxBuilder {
    private Optional<String> backend = Optional.empty();
    private IsolationPolicy policy = IsolationPolicy.strict();
    private SandboxImage image = SandboxImage.host();
    private final List<SandboxListener> listeners = new ArrayList<>();
    private Optional<Path> workspace = Optional.empty();
    private final Map<String, String> options = new LinkedHashMap<>();

    SandboxBuilder() {
    }

    /** A backend name, or {@code "auto"}: the strongest available backend that can enforce the policy. */
    public SandboxBuilder backend(String name) {
        Validate.noNul("backend", name);
        backend = Optional.of(name);
        return this;
    }

    public SandboxBuilder policy(IsolationPolicy p) {
        if (p == null) {
            throw new InvalidInputException("policy: no policy given; use IsolationPolicy.strict() or another preset");
        }
        policy = p;
        return this;
    }

    /** Adjusts the current policy (strict by default). */
    public SandboxBuilder policy(UnaryOperator<IsolationPolicy.Builder> edit) {
        policy = edit.apply(policy.toBuilder()).build();
        return this;
    }

    public SandboxBuilder image(SandboxImage i) {
        if (i == null) {
            throw new InvalidInputException("image: no image given; use SandboxImage.host()");
        }
        image = i;
        return this;
    }

    public SandboxBuilder listener(SandboxListener l) {
        if (l == null) {
            throw new InvalidInputException("listener: null given");
        }
        listeners.add(l);
        return this;
    }

    /**
     * A host directory used as the workspace (read-write inside, at {@link Sandbox#workspacePath()}). It
     * must exist; it is kept on close. Without it a private temp directory is made and deleted on close.
     */
    public SandboxBuilder workspace(Path hostDirectory) {
        workspace = Optional.of(Validate.hostPath("workspace", hostDirectory));
        return this;
    }

    /** A backend-specific option (for example {@code docker.host}); unknown keys are refused by the backend. */
    public SandboxBuilder option(String key, String value) {
        options.put(Validate.noNul("option key", key), Validate.noNul("option " + key, value));
        return this;
    }

    /**
     * The backend that {@link #build()} would pick now for this configuration (its options, such as
     * {@code auto.allowEmulated}, included), with its isolation level,
     * availability and capabilities, without opening anything (no process, no directory); for tools that
     * describe a sandbox before it exists. A later {@code build()} may still pick another one when
     * availability changes in between.
     *
     * @throws InvalidInputException        an unknown backend name
     * @throws UnsupportedPolicyException   the named backend cannot enforce part of the policy
     * @throws BackendUnavailableException  no backend fits, or the named one is unavailable here
     */
    public BackendInfo choose() {
        return SandboxFactory.choose(backend, policy, image, Map.copyOf(options));
    }

    /**
     * Validates everything, picks the backend, checks it can enforce every part of the policy and opens
     * the sandbox.
     *
     * @throws InvalidInputException        bad input (a missing workspace, an unknown backend name)
     * @throws UnsupportedPolicyException   the backend cannot enforce part of the policy
     * @throws BackendUnavailableException  no backend fits, or the named one is unavailable here
     * @throws SandboxStartException        the backend failed to make the sandbox
     */
    public Sandbox build() {
        return SandboxFactory.open(backend, policy, image, List.copyOf(listeners), workspace, Map.copyOf(options));
    }
}
