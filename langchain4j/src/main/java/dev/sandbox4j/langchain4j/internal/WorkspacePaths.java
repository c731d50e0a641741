package dev.sandbox4j.langchain4j.internal;

import dev.sandbox4j.FileAccessException;
import dev.sandbox4j.FileEntry;
import dev.sandbox4j.SandboxException;
import dev.sandbox4j.SandboxFiles;
import java.util.Optional;

/**
 * The few path forms a model writes that the files API does not take ({@code "."}, {@code "./x"}, an
 * empty path for the workspace), turned into forms it does. Everything else is passed on unchanged, so
 * the core's checks ({@code ..}, symlinks, paths outside the workspace) still decide. Stateless.
 */
public final class WorkspacePaths {
    private WorkspacePaths() {
    }

    /** {@code path} as the files API takes it; {@code "."}, {@code "./"} and {@code ""} mean the workspace. */
    public static String normalise(String path, String workspace) {
        if (path == null) {
            throw new FileAccessException(FileAccessException.Reason.REFUSED,
                    "no path given; give a path relative to the workspace " + workspace);
        }
        String p = path.strip();
        while (p.startsWith("./")) {
            p = p.substring(2);
            while (p.startsWith("/")) {
                p = p.substring(1);
            }
        }
        if (p.isEmpty() || p.equals(".")) {
            return workspace;
        }
        return p;
    }

    /** The absolute path inside the sandbox that a normalised path names, for messages. */
    public static String shown(String normalised, String workspace) {
        if (normalised.startsWith("/")) {
            return normalised;
        }
        return (workspace.endsWith("/") ? workspace : workspace + "/") + normalised;
    }

    /** The size of a regular file from its parent's listing; empty when that cannot be told. */
    public static Optional<Long> sizeOf(SandboxFiles files, String normalised, String workspace) {
        String p = normalised.endsWith("/") ? normalised.substring(0, normalised.length() - 1) : normalised;
        int slash = p.lastIndexOf('/');
        String parent = slash < 0 ? workspace : slash == 0 ? "/" : p.substring(0, slash);
        String name = p.substring(slash + 1);
        try {
            return files.list(parent).stream()
                    .filter(e -> e.name().equals(name) && e.type() == FileEntry.Type.FILE)
                    .map(FileEntry::size)
                    .findFirst();
        } catch (SandboxException e) {
            // only a hint for a better message: the caller rethrows the read's own error
            return Optional.empty();
        }
    }
}
