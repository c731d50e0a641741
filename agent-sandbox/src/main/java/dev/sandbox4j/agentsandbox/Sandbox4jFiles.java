package dev.sandbox4j.agentsandbox;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.sandbox4j.FileAccessException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;
import org.springaicommunity.sandbox.FileEntry;
import org.springaicommunity.sandbox.FileSpec;
import org.springaicommunity.sandbox.FileType;
import org.springaicommunity.sandbox.Sandbox;
import org.springaicommunity.sandbox.SandboxException;
import org.springaicommunity.sandbox.SandboxFiles;

/**
 * agent-sandbox's {@link SandboxFiles} over sandbox4j's files API. Paths are relative to the workspace
 * ({@code "src/a.py"}, {@code "."}, {@code "./a"}) or absolute under it ({@code "/workspace/a"}); a path
 * with {@code ..}, outside the workspace, or through a symlink is refused. Text is UTF-8. Failures are
 * {@link SandboxException}s whose message starts as agent-sandbox's own ("Path does not exist: ...",
 * "Path is not a directory: ...") and whose cause is sandbox4j's {@link FileAccessException} with its
 * {@link FileAccessException#reason() reason}. Thread-safe.
 */
final class Sandbox4jFiles implements SandboxFiles {
    private final Sandbox4jSandbox owner;
    private final dev.sandbox4j.Sandbox delegate;

    Sandbox4jFiles(Sandbox4jSandbox owner, dev.sandbox4j.Sandbox delegate) {
        this.owner = owner;
        this.delegate = delegate;
    }

    private dev.sandbox4j.SandboxFiles files() {
        owner.checkOpen();
        return delegate.files();
    }

    @Override
    public SandboxFiles create(String path, String content) {
        Objects.requireNonNull(content, "content");
        run("create file", path, () -> {
            files().write(path, content.getBytes(UTF_8));
            return null;
        });
        return this;
    }

    @Override
    public SandboxFiles createDirectory(String path) {
        run("create directory", path, () -> {
            files().mkdirs(path);
            return null;
        });
        return this;
    }

    @Override
    public SandboxFiles setup(List<FileSpec> specs) {
        for (FileSpec s : specs) {
            create(s.path(), s.content());
        }
        return this;
    }

    /** The whole file as UTF-8 text; at most 64 MiB. */
    @Override
    public String read(String path) {
        return run("read file", path, () -> new String(files().read(path), UTF_8));
    }

    @Override
    public boolean exists(String path) {
        return run("check", path, () -> files().exists(path));
    }

    @Override
    public List<FileEntry> list(String path) {
        return list(path, 1);
    }

    /**
     * The entries below {@code path}, {@code maxDepth} levels deep (1: its own entries), each directory's
     * entries sorted by name and followed by its children's, as {@code Files.walk} orders them. Each entry's
     * {@code path} is relative to the workspace. A symlink is listed as a {@code FILE} (the link itself:
     * it is never followed, so a link to a directory is not descended into).
     */
    @Override
    public List<FileEntry> list(String path, int maxDepth) {
        if (maxDepth < 0) {
            throw new IllegalArgumentException("list '" + path + "': maxDepth " + maxDepth + " is negative; give 1 for"
                    + " the directory's own entries");
        }
        String base = relative(path);
        return run("list directory", path, () -> {
            List<FileEntry> out = new ArrayList<>();
            List<dev.sandbox4j.FileEntry> top = files().list(path);
            if (maxDepth > 0) {
                walk(base, top, maxDepth, out);
            }
            return out;
        });
    }

    private void walk(String dir, List<dev.sandbox4j.FileEntry> entries, int depthLeft, List<FileEntry> out) {
        for (dev.sandbox4j.FileEntry e : entries) {
            String rel = dir.isEmpty() ? e.name() : dir + "/" + e.name();
            boolean isDir = e.type() == dev.sandbox4j.FileEntry.Type.DIRECTORY;
            out.add(new FileEntry(e.name(), isDir ? FileType.DIRECTORY : FileType.FILE, rel, e.size(), e.modified()));
            if (isDir && depthLeft > 1) {
                walk(rel, files().list(rel), depthLeft - 1, out);
            }
        }
    }

    /** A file, a symlink or an empty directory; a directory with entries fails ({@code delete(path, true)} takes it). */
    @Override
    public SandboxFiles delete(String path) {
        return delete(path, false);
    }

    @Override
    public SandboxFiles delete(String path, boolean recursive) {
        run("delete", path, () -> {
            if (recursive) {
                files().delete(path);
            } else {
                files().deleteEmpty(path);
            }
            return null;
        });
        return this;
    }

    @Override
    public Sandbox and() {
        return owner;
    }

    /** The path relative to the workspace, for the entries' {@code path}; the core checks it, not this. */
    private String relative(String path) {
        String ws = delegate.workspacePath();
        String p = path == null ? "" : path;
        if (p.equals(ws)) {
            p = "";
        } else if (p.startsWith(ws + "/")) {
            p = p.substring(ws.length() + 1);
        }
        List<String> segs = new ArrayList<>();
        for (String s : p.split("/")) {
            if (!s.isEmpty() && !s.equals(".")) {
                segs.add(s);
            }
        }
        return String.join("/", segs);
    }

    private static <T> T run(String op, String path, Supplier<T> call) {
        try {
            return call.get();
        } catch (FileAccessException e) {
            throw translate(op, path, e);
        }
    }

    private static SandboxException translate(String op, String path, FileAccessException e) {
        String what = switch (e.reason()) {
            case NOT_FOUND -> "Path does not exist: " + path;
            case NOT_A_DIRECTORY -> "Path is not a directory: " + path;
            case IS_A_DIRECTORY -> "Path is a directory: " + path;
            case NOT_EMPTY -> "Directory is not empty: " + path + " (delete(path, true) removes it with its contents)";
            case TOO_LARGE -> "File is too large: " + path;
            case REFUSED -> "Path refused: " + path;
            case CLOSED -> "Sandbox is closed";
            case IO -> "Failed to " + op + ": " + path;
        };
        return new SandboxException(what + " (" + e.getMessage() + ")", e);
    }
}
