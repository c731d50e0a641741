package dev.sandbox4j;

/** A files() operation failed: a missing file, an escape through .. or a symlink refused, or an I/O error inside the sandbox's view. */
public class FileAccessException extends SandboxException {
    private static final long serialVersionUID = 1L;

    public FileAccessException(String message) {
        super(message);
    }

    public FileAccessException(String message, Throwable cause) {
        super(message, cause);
    }
}
