package dev.sandbox4j.container.internal.session;

import dev.sandbox4j.container.internal.plan.BindMount;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Checks, from the host, the binds of a started container against its plan: every bind nosuid and nodev,
 * every read-only one read-only. A bind whose read-only flag comes from its staged source
 * ({@link BindMount#readOnlySource}) is read-only only because the engine mounted it as it is, without a
 * remount of its own; an engine that remounted it would make it writable, which this refuses to run with.
 * Reads {@code /proc/<pid>/mountinfo} of the container's init (a root JVM may). Stateless.
 */
final class MountCheck {
    private MountCheck() {
    }

    /**
     * What is wrong with the binds of the container whose init has host pid {@code pid}, one line each; empty
     * when each is as planned.
     */
    static List<String> problems(long pid, List<BindMount> binds) {
        String mountinfo;
        try {
            mountinfo = Files.readString(Path.of("/proc", Long.toString(pid), "mountinfo"), StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            return List.of("the container's mounts cannot be read at /proc/" + pid + "/mountinfo (" + e + ")");
        }
        Map<String, Set<String>> options = options(mountinfo);
        List<String> out = new ArrayList<>();
        for (BindMount b : binds) {
            Optional<Set<String>> o = Optional.ofNullable(options.get(b.containerPath()));
            if (o.isEmpty()) {
                out.add(b.containerPath() + " is not mounted");
                continue;
            }
            List<String> missing = new ArrayList<>();
            for (String flag : b.readOnly() ? List.of("ro", "nosuid", "nodev") : List.of("nosuid", "nodev")) {
                if (!o.get().contains(flag)) {
                    missing.add(flag);
                }
            }
            if (!missing.isEmpty()) {
                out.add(b.containerPath() + " is mounted " + String.join(",", o.get()) + ", without " + String.join(",", missing));
            }
        }
        return out;
    }

    /** The per-mount options of each mount point, the last mount at a point winning (it covers the others). */
    static Map<String, Set<String>> options(String mountinfo) {
        Map<String, Set<String>> out = new HashMap<>();
        for (String line : mountinfo.split("\n")) {
            String[] f = line.split(" ");
            if (f.length > 5) {
                out.put(unescape(f[4]), Set.of(f[5].split(",")));
            }
        }
        return out;
    }

    /** mountinfo writes space, tab, newline and backslash as octal escapes. */
    private static String unescape(String s) {
        return s.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\");
    }
}
