package dev.sandbox4j;

/** The chosen backend could not make the sandbox (the engine failed, a mount failed, a daemon stopped); nothing is left behind. */
public class SandboxStartException extends SandboxException {
    private static final long serialVersionUID = 1L;

    public SandboxStartException(String message) {
        super(message);
    }

    public SandboxStartException(String message, Throwable cause) {
        super(message, cause);
    }
}
