package dev.sandbox4j;

/**
 * The one unchecked root of every exception this library throws. Subtypes say in which phase it
 * failed: {@link InvalidInputException} (bad input, nothing started), {@link UnsupportedPolicyException}
 * and {@link BackendUnavailableException} (selection, nothing started), {@link SandboxStartException}
 * (the backend could not make the sandbox), {@link ExecException} (a command could not run), and
 * {@link FileAccessException} (the files API). Messages name the operation, the user's value and the
 * way out.
 */
public class SandboxException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public SandboxException(String message) {
        super(message);
    }

    public SandboxException(String message, Throwable cause) {
        super(message, cause);
    }
}
