package dev.sandbox4j;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;

/**
 * Files inside the sandbox's workspace. A path is either relative to the workspace ({@code "src/main.py"},
 * {@code "./src/main.py"}, {@code "."} for the workspace itself) or absolute under
 * {@link Sandbox#workspacePath()} ({@code "/workspace/src/main.py"}, {@code "/workspace"}); {@code .}
 * segments are ignored. Anything else, a {@code ..} segment, an empty segment ({@code //}), a NUL byte, or
 * a symlink anywhere on the way, is refused with {@link FileAccessException} (reason
 * {@link FileAccessException.Reason#REFUSED}) before any byte moves: the sandboxed code cannot use these
 * calls to reach outside its workspace.
 *
 * <p>Every failure is a {@link FileAccessException} whose {@link FileAccessException#reason() reason()}
 * says what went wrong ({@code NOT_FOUND}, {@code NOT_A_DIRECTORY}, {@code TOO_LARGE}...). Thread-safe.
 */
public interface SandboxFiles {
    /** Creates or replaces a file; its parent directories are created. */
    void write(String path, byte[] content);

    /** Reads a whole file, at most {@code limit} bytes (more is an error naming the size, reason {@code TOO_LARGE}). */
    byte[] read(String path, DataSize limit);

    /** Reads a whole file of at most 64 MiB. */
    default byte[] read(String path) {
        return read(path, DataSize.ofMiB(64));
    }

    /** The entries of a directory (not recursive), sorted by name, each with its modification time. */
    List<FileEntry> list(String path);

    boolean exists(String path);

    /**
     * Deletes a file, or a directory with everything in it (symlinks inside are removed, not followed).
     * A missing path is an error (reason {@code NOT_FOUND}); the workspace itself is refused.
     */
    void delete(String path);

    /**
     * Deletes a file, a symlink (not its target) or an empty directory; a directory that holds anything
     * is refused with reason {@link FileAccessException.Reason#NOT_EMPTY} and left as it was. A missing
     * path is an error (reason {@code NOT_FOUND}); the workspace itself is refused.
     */
    void deleteEmpty(String path);

    /** Creates a directory and its parents. */
    void mkdirs(String path);

    /** Unpacks a tar stream into the directory {@code path}; entries that would escape it are refused. */
    void tarIn(InputStream tar, String path);

    /** Packs the directory {@code path} as a tar stream; symlinks are stored as links, never followed. */
    void tarOut(String path, OutputStream tar);

    /** Copies a host directory's contents into the sandbox directory {@code path} (through tar). */
    void copyIn(Path hostDirectory, String path);

    /** Copies the sandbox directory {@code path} into a host directory, created if missing (through tar). */
    void copyOut(String path, Path hostDirectory);
}
