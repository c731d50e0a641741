package dev.sandbox4j.container.internal.engine;

/**
 * An engine call failed; the message names the engine, its address, the operation and the fix. Callers
 * turn it into the phase's public exception ({@link dev.sandbox4j.SandboxStartException} while opening,
 * {@link dev.sandbox4j.ExecException} while running).
 */
public final class EngineException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public EngineException(String message, Throwable cause) {
        super(message, cause);
    }

    public EngineException(String message) {
        super(message);
    }
}
