package dev.sandbox4j;

import java.util.Objects;

/**
 * A files() operation failed: a missing file, an escape through {@code ..} or a symlink refused, or an I/O
 * error inside the sandbox's view. {@link #reason()} says which, for code that reacts to it (an adapter
 * that maps "not found" to its own exception, a tool that tells a model to create the parent first); the
 * message says it for people, naming the operation and the path.
 */
public class FileAccessException extends SandboxException {
    private static final long serialVersionUID = 1L;

    /** Why a files() operation failed. New values may be added; treat an unknown one as {@link #IO}. */
    public enum Reason {
        /** The path, or a directory on its way, does not exist. */
        NOT_FOUND,
        /** A directory was needed (to list, or on the way to the path) and a file is there. */
        NOT_A_DIRECTORY,
        /** A file was needed (to read or write) and a directory is there. */
        IS_A_DIRECTORY,
        /** The file is larger than the limit the read was given. */
        TOO_LARGE,
        /** The directory has entries and the operation removes only empty ones ({@link SandboxFiles#deleteEmpty}). */
        NOT_EMPTY,
        /**
         * Refused before anything was touched, or stopped on the way: a path outside the workspace, a
         * {@code ..} segment, a NUL byte, a symlink on the way, a tar entry that would escape, missing
         * arguments, or the workspace itself where an entry is needed.
         */
        REFUSED,
        /** The sandbox is closed; build a new one. */
        CLOSED,
        /** Anything else: permissions, a full disk, an error of the engine or guest. */
        IO
    }

    private final Reason reason;

    /** An exception with reason {@link Reason#IO}. */
    public FileAccessException(String message) {
        this(Reason.IO, message);
    }

    /** An exception with reason {@link Reason#IO}. */
    public FileAccessException(String message, Throwable cause) {
        this(Reason.IO, message, cause);
    }

    public FileAccessException(Reason reason, String message) {
        super(message);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public FileAccessException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    /** Why the operation failed; never null. */
    public Reason reason() {
        return reason;
    }
}
