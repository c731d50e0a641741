package dev.sandbox4j;

import dev.sandbox4j.internal.select.BackendRegistry;
import java.util.List;
import java.util.Optional;

/**
 * An open sandbox: run commands in it, move files in and out, close it. Thread-safe: several threads may
 * exec at once. {@link #close()} kills everything still running inside and removes every process,
 * container, VM, cgroup, mount and temp dir it made; it is idempotent.
 *
 * <pre>{@code
 * try (Sandbox sandbox = Sandbox.builder().policy(IsolationPolicy.strict()).build()) {
 *     ExecResult r = sandbox.exec(Command.of("python3", "-c", "print(6*7)"));
 * }
 * }</pre>
 */
public interface Sandbox extends AutoCloseable {

    /** A builder with the defaults: backend {@code auto}, {@link IsolationPolicy#strict()}, {@link SandboxImage#host()}. */
    static SandboxBuilder builder() {
        return new SandboxBuilder();
    }

    /** Every backend on the class path, with its availability probed now or at most 5 seconds ago. */
    static List<BackendInfo> backends() {
        return BackendRegistry.global().describe();
    }

    /**
     * The backend that {@code build()} would use for this name ({@code "auto"} included), policy and image,
     * without opening anything; for {@code doctor} and for tools that want to explain a choice.
     *
     * @throws InvalidInputException       an unknown name
     * @throws UnsupportedPolicyException  the named backend cannot enforce part of the policy
     * @throws BackendUnavailableException none fits, with every backend's reason
     */
    static BackendInfo choose(String backend, IsolationPolicy policy, SandboxImage image) {
        BackendRegistry registry = BackendRegistry.global();
        var chosen = registry.choose(BackendRegistry.requestedName(Optional.ofNullable(backend)), policy, image);
        return new BackendInfo(chosen.name(), chosen.isolation(), registry.probe(chosen), chosen.capabilities());
    }

    /** A unique id of this sandbox, also in its labels and events. */
    String id();

    /** The name of the backend that runs it. */
    String backend();

    /** The policy it enforces. */
    IsolationPolicy policy();

    /** Where the workspace appears to commands inside (their default working directory). */
    String workspacePath();

    /**
     * Runs a command to its end and returns its result; a timeout is a result ({@code timedOut()}), not
     * an exception.
     *
     * @throws ExecException when the command cannot be started (no such program is a result with exit 127
     *                       where the backend can tell, else this) or the sandbox is closed
     */
    ExecResult exec(Command command);

    /** Starts a command and returns at once; read its output from {@link Execution#stdout()}. */
    Execution start(Command command);

    /** Starts a command whose output goes to {@code listener} as it arrives, up to the cap. */
    Execution start(Command command, OutputListener listener);

    /** The workspace's files. */
    SandboxFiles files();

    /**
     * Whether {@link #close()} was called (by anyone, or by the JVM's shutdown hook). A closed sandbox
     * refuses exec, start and files().
     */
    boolean isClosed();

    /** Kills what runs inside and removes everything the sandbox made. Idempotent; never throws for a second call. */
    @Override
    void close();
}
