package dev.sandbox4j.spi;

import dev.sandbox4j.SandboxFiles;
import java.util.Optional;

/**
 * One open sandbox on the backend's side. Thread-safe: the core may spawn from several threads at once.
 */
public interface BackendSession extends AutoCloseable {
    /** Where the workspace appears inside (usually {@code /workspace}). */
    String workspacePath();

    /**
     * Starts a process.
     *
     * @throws dev.sandbox4j.ExecException when it cannot start (engine failure, sandbox gone)
     */
    SandboxProcess spawn(ProcessRequest request);

    /**
     * The backend's own files API; empty (the default) when the workspace is a host directory shared
     * into the sandbox, which the core then works on directly and safely.
     */
    default Optional<SandboxFiles> files() {
        return Optional.empty();
    }

    /**
     * The host ids that must own what the core's files API makes in the workspace: present for a backend whose
     * sandbox reaches the workspace as host ids of its own (a container's user, a file server's) rather than
     * through an idmap, so that the sandbox's user can change what the caller puts there. Default: none (the
     * JVM's user owns it).
     */
    default Optional<HostIds> filesOwner() {
        return Optional.empty();
    }

    /** Kills everything inside and removes every resource this session made. Idempotent; never throws. */
    @Override
    void close();
}
