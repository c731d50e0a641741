package dev.sandbox4j.linux.internal.rootfs;

import dev.sandbox4j.InvalidInputException;
import dev.sandbox4j.linux.internal.plan.Step;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Sandbox paths of a plan resolved through the symlinks the plan itself makes in the new root (such as
 * {@code /bin -> usr/bin}), an absolute target taken from the root, as the root builder resolves them
 * (RESOLVE_IN_ROOT); {@link RootArgs} checks the result against the read-write binds. Pure.
 */
final class RootPaths {
    private static final int MAX_HOPS = 16;

    private final Map<String, String> links = new LinkedHashMap<>();

    RootPaths(List<Step> steps) {
        for (Step s : steps) {
            if (s instanceof Step.Symlink l) {
                links.put(l.dest(), l.target());
            }
        }
    }

    /**
     * {@code dest} with every symlink of the plan on its way (the last component included) replaced by its
     * target, normalised. For the dest of a Symlink step itself use {@link #resolveParent}.
     */
    String resolve(String dest) {
        String path = normalize(dest);
        for (int hops = 0; hops < MAX_HOPS; hops++) {
            String next = null;
            for (Map.Entry<String, String> l : links.entrySet()) {
                String link = l.getKey();
                if (path.startsWith(link + "/") || path.equals(link)) {
                    String target = l.getValue().startsWith("/") ? l.getValue() : parent(link) + "/" + l.getValue();
                    next = normalize(target + path.substring(link.length()));
                    break;
                }
            }
            if (next == null) {
                return path;
            }
            path = next;
        }
        throw new InvalidInputException("path " + dest + " goes through more than " + MAX_HOPS
                + " symbolic links of the image; give a path without link loops");
    }

    /** The parent of {@code dest} resolved, with the last component kept as it is. */
    String resolveParent(String dest) {
        String n = normalize(dest);
        int i = n.lastIndexOf('/');
        String parent = i <= 0 ? "/" : resolve(n.substring(0, i));
        return (parent.equals("/") ? "" : parent) + n.substring(i);
    }

    private static String parent(String p) {
        int i = p.lastIndexOf('/');
        return i <= 0 ? "" : p.substring(0, i);
    }

    private static String normalize(String p) {
        String n = Path.of("/").resolve(p.startsWith("/") ? p.substring(1) : p).normalize().toString();
        return n.isEmpty() ? "/" : n;
    }
}
