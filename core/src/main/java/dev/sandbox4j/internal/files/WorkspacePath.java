package dev.sandbox4j.internal.files;

import dev.sandbox4j.FileAccessException;
import java.util.List;

/**
 * A path given to the files API, checked and split into its segments below the workspace root. A path
 * is relative to the workspace, or absolute under the sandbox's workspace path; nothing else is
 * accepted: no other absolute path, no {@code .} or {@code ..} segment, no empty segment, no NUL byte.
 * One trailing {@code /} is tolerated.
 *
 * @param shown    the path as the caller gave it, for messages
 * @param segments the names below the workspace root; empty for the root itself
 */
record WorkspacePath(String shown, List<String> segments) {

    static WorkspacePath parse(String op, String path, String sandboxRoot) {
        if (path == null) {
            throw new FileAccessException(op + ": no path given; give a path relative to the workspace or under "
                    + sandboxRoot);
        }
        if (path.indexOf('\0') >= 0) {
            throw new FileAccessException(op + " '" + path.replace('\0', '?') + "': the path contains a NUL byte");
        }
        String root = sandboxRoot.length() > 1 && sandboxRoot.endsWith("/")
                ? sandboxRoot.substring(0, sandboxRoot.length() - 1) : sandboxRoot;
        String rel;
        if (path.startsWith("/")) {
            if (path.equals(root) || path.equals(root + "/")) {
                rel = "";
            } else if (root.equals("/")) {
                rel = path.substring(1);
            } else if (path.startsWith(root + "/")) {
                rel = path.substring(root.length() + 1);
            } else {
                throw new FileAccessException(op + " '" + path + "': the path is outside the workspace " + root
                        + "; give a path under " + root + " or relative to it");
            }
        } else if (path.isEmpty()) {
            throw new FileAccessException(op + ": the path is empty; give a path relative to the workspace, or "
                    + root + " for the workspace itself");
        } else {
            rel = path;
        }
        if (rel.endsWith("/")) {
            rel = rel.substring(0, rel.length() - 1);
        }
        List<String> segs = rel.isEmpty() ? List.of() : List.of(rel.split("/", -1));
        for (String s : segs) {
            if (s.isEmpty()) {
                throw new FileAccessException(op + " '" + path + "': the path has an empty segment ('//'); "
                        + "give a normalised path");
            }
            if (s.equals(".") || s.equals("..")) {
                throw new FileAccessException(op + " '" + path + "': the path has a '" + s
                        + "' segment; give a normalised path that stays inside the workspace");
            }
        }
        return new WorkspacePath(path, segs);
    }

    boolean isRoot() {
        return segments.isEmpty();
    }

    /** The last segment; only for a path that is not the root. */
    String name() {
        return segments.get(segments.size() - 1);
    }

    List<String> parent() {
        return segments.subList(0, segments.size() - 1);
    }

    /** This path with {@code rel} (a checked relative path, as in a tar entry) appended. */
    WorkspacePath child(List<String> rel, String shownRel) {
        List<String> all = new java.util.ArrayList<>(segments);
        all.addAll(rel);
        return new WorkspacePath(shown.endsWith("/") ? shown + shownRel : shown + "/" + shownRel, List.copyOf(all));
    }
}
