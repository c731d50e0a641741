package dev.sandbox4j.internal.files;

import static dev.sandbox4j.FileAccessException.Reason.REFUSED;

import dev.sandbox4j.FileAccessException;
import java.util.ArrayList;
import java.util.List;

/**
 * A path given to the files API, checked and split into its segments below the workspace root. A path
 * is relative to the workspace, or absolute under the sandbox's workspace path; nothing else is
 * accepted: no other absolute path, no {@code ..} segment, no empty segment, no NUL byte. {@code .}
 * segments are dropped ({@code "."} is the workspace, {@code "./a"} is {@code "a"}): they name the
 * directory they are in and cannot lead out of it. One trailing {@code /} is tolerated. Every refusal has
 * reason {@code REFUSED}.
 *
 * @param shown    the path as the caller gave it, for messages
 * @param segments the names below the workspace root; empty for the root itself
 */
record WorkspacePath(String shown, List<String> segments) {

    static WorkspacePath parse(String op, String path, String sandboxRoot) {
        if (path == null) {
            throw new FileAccessException(REFUSED, op + ": no path given; give a path relative to the workspace or under "
                    + sandboxRoot);
        }
        if (path.indexOf('\0') >= 0) {
            throw new FileAccessException(REFUSED, op + " '" + path.replace('\0', '?') + "': the path contains a NUL byte");
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
                throw new FileAccessException(REFUSED, op + " '" + path + "': the path is outside the workspace " + root
                        + "; give a path under " + root + " or relative to it");
            }
        } else if (path.isEmpty()) {
            throw new FileAccessException(REFUSED, op + ": the path is empty; give a path relative to the workspace, or "
                    + root + " for the workspace itself");
        } else {
            rel = path;
        }
        if (rel.endsWith("/")) {
            rel = rel.substring(0, rel.length() - 1);
        }
        List<String> segs = new ArrayList<>();
        for (String s : rel.isEmpty() ? new String[0] : rel.split("/", -1)) {
            if (s.isEmpty()) {
                throw new FileAccessException(REFUSED, op + " '" + path + "': the path has an empty segment ('//'); "
                        + "give a normalised path");
            }
            if (s.equals("..")) {
                throw new FileAccessException(REFUSED, op + " '" + path + "': the path has a '..' segment; "
                        + "give a normalised path that stays inside the workspace");
            }
            if (!s.equals(".")) {
                segs.add(s);
            }
        }
        return new WorkspacePath(path, List.copyOf(segs));
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
