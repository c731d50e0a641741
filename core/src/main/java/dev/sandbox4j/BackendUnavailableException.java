package dev.sandbox4j;

/** No backend is available, or the named one is not: the message lists every backend with its probe() reason and the fix. */
public class BackendUnavailableException extends SandboxException {
    private static final long serialVersionUID = 1L;

    public BackendUnavailableException(String message) {
        super(message);
    }

    public BackendUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
