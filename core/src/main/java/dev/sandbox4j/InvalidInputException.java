package dev.sandbox4j;

/** Bad input (a relative or .. path, a NUL byte, a negative limit, an unknown field or backend), rejected before anything starts. */
public class InvalidInputException extends SandboxException {
    private static final long serialVersionUID = 1L;

    public InvalidInputException(String message) {
        super(message);
    }

    public InvalidInputException(String message, Throwable cause) {
        super(message, cause);
    }
}
