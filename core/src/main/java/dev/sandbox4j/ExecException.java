package dev.sandbox4j;

/** A command could not be started or followed inside an open sandbox (the engine failed under it, or the sandbox is closed). */
public class ExecException extends SandboxException {
    private static final long serialVersionUID = 1L;

    public ExecException(String message) {
        super(message);
    }

    public ExecException(String message, Throwable cause) {
        super(message, cause);
    }
}
