package dev.sandbox4j.linux.internal.rootfs;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The host programs a root-file-system backend runs, found on a search path (the JVM's PATH, or a
 * backend option for tests and unusual hosts). Immutable and thread-safe.
 *
 * @param searchPath the colon-separated directories searched
 * @param found      program name to its absolute path, for each one found
 * @param missing    names not found, in the order asked
 */
public record HostTools(String searchPath, Map<String, Path> found, List<String> missing) {

    /** util-linux programs each exec's chain runs (nsenter, setpriv, setsid, prlimit). */
    public static final List<String> UTIL_LINUX = List.of("nsenter", "setpriv", "setsid", "prlimit");

    public HostTools {
        found = Map.copyOf(found);
        missing = List.copyOf(missing);
    }

    /** The JVM's PATH, or a sane default when it has none. */
    public static String defaultPath() {
        String p = System.getenv("PATH");
        return p == null || p.isBlank() ? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" : p;
    }

    /** Looks each of {@code names} up on {@code searchPath}. */
    public static HostTools find(String searchPath, List<String> names) {
        Map<String, Path> found = new LinkedHashMap<>();
        List<String> missing = new ArrayList<>();
        for (String n : names) {
            Optional<Path> p = which(searchPath, n);
            if (p.isPresent()) {
                found.put(n, p.get());
            } else {
                missing.add(n);
            }
        }
        return new HostTools(searchPath, found, missing);
    }

    /** The path of {@code name}; only call for names that were found. */
    public Path path(String name) {
        Path p = found.get(name);
        if (p == null) {
            throw new IllegalStateException(name + " was not found on " + searchPath + " (check missing() first)");
        }
        return p;
    }

    public String pathString(String name) {
        return path(name).toString();
    }

    static Optional<Path> which(String searchPath, String name) {
        for (String dir : searchPath.split(":")) {
            if (dir.isEmpty()) {
                continue;
            }
            Path p = Path.of(dir, name);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }
}
