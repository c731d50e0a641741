package dev.sandbox4j.vm.internal.protocol;

import dev.sandbox4j.FileAccessException;
import java.util.Optional;

/**
 * The ERROR payload.
 *
 * @param errno   the guest's errno value (EPROTO, EINVAL, ENOENT...)
 * @param message what failed, in the agent's words
 */
public record AgentError(int errno, String message) {
    public static final int ENOENT = 2;
    public static final int EACCES = 13;
    public static final int ENOTDIR = 20;
    public static final int EISDIR = 21;
    public static final int EFBIG = 27;
    public static final int ENOTEMPTY = 39;
    public static final int ELOOP = 40;

    /**
     * The files API's reason for an errno that a file request (FREAD, FWRITE, FLIST, FDELETE) answers;
     * empty for one that says the request or the agent failed (EINVAL, EPROTO...), which stays an exec error.
     * ELOOP is what {@code RESOLVE_NO_SYMLINKS} answers for a symlink on the path: refused.
     */
    public Optional<FileAccessException.Reason> fileReason() {
        return Optional.ofNullable(switch (errno) {
            case ENOENT -> FileAccessException.Reason.NOT_FOUND;
            case ENOTDIR -> FileAccessException.Reason.NOT_A_DIRECTORY;
            case EISDIR -> FileAccessException.Reason.IS_A_DIRECTORY;
            case EFBIG -> FileAccessException.Reason.TOO_LARGE;
            case ENOTEMPTY -> FileAccessException.Reason.NOT_EMPTY;
            case ELOOP -> FileAccessException.Reason.REFUSED;
            case EACCES -> FileAccessException.Reason.IO;
            default -> null;
        });
    }

    public static AgentError decode(Frame f) {
        PayloadReader r = new PayloadReader(f);
        long errno = r.u32();
        String message = r.str();
        r.end();
        return new AgentError((int) errno, message);
    }
}
