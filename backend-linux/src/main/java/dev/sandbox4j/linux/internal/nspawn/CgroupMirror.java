package dev.sandbox4j.linux.internal.nspawn;

import dev.sandbox4j.spi.SessionLabels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * On a cgroup v1 "hybrid" host systemd-nspawn also makes its {@code payload} and {@code supervisor}
 * cgroups in the named {@code name=systemd} hierarchy, at the same path as in the cgroup2 tree, and leaves
 * them there when the container ends. This class finds that mirror of a sandbox's cgroup2 directory and
 * removes it (it holds no process once the container is gone), and reaps the mirrors of dead sessions.
 * Stateless.
 */
final class CgroupMirror {
    private static final int MAX_DEPTH = 8;

    private CgroupMirror() {
    }

    /** The mirror of {@code v2Dir} in the name=systemd hierarchy, when there is one. */
    static Optional<Path> of(Path v2Dir) {
        Optional<Path> v2 = mount("cgroup2", null);
        Optional<Path> named = mount("cgroup", "name=systemd");
        if (v2.isEmpty() || named.isEmpty() || !v2Dir.startsWith(v2.get()) || v2Dir.equals(v2.get())) {
            return Optional.empty();
        }
        return Optional.of(named.get().resolve(v2.get().relativize(v2Dir).toString()));
    }

    /** Removes {@code dir} and what is below it, deepest first; never throws. True when it is gone. */
    static boolean remove(Path dir) {
        if (!Files.isDirectory(dir)) {
            return true;
        }
        List<Path> tree;
        try (Stream<Path> s = Files.walk(dir)) {
            tree = s.filter(Files::isDirectory).sorted(Comparator.comparingInt(Path::getNameCount).reversed()).toList();
        } catch (IOException | java.io.UncheckedIOException e) {
            tree = List.of(dir);
        }
        for (Path d : tree) {
            try {
                Files.deleteIfExists(d);
            } catch (IOException e) {
                return false;
            }
        }
        return !Files.exists(dir);
    }

    /** Removes the mirrors named after sessions whose JVM no longer runs. */
    static List<String> reap() {
        List<String> removed = new ArrayList<>();
        Optional<Path> named = mount("cgroup", "name=systemd");
        if (named.isEmpty()) {
            return removed;
        }
        List<Path> dead;
        try (Stream<Path> s = Files.find(named.get(), MAX_DEPTH, (p, a) -> a.isDirectory() && deadSession(p))) {
            dead = s.toList();
        } catch (IOException | java.io.UncheckedIOException e) {
            return removed;
        }
        for (Path d : dead) {
            if (remove(d)) {
                removed.add("systemd cgroup " + d);
            }
        }
        return removed;
    }

    private static boolean deadSession(Path p) {
        Path name = p.getFileName();
        if (name == null) {
            return false;
        }
        Optional<String> session = SessionLabels.sessionOf(name.toString());
        return session.isPresent() && !session.get().equals(SessionLabels.current()) && !SessionLabels.ownerAlive(session.get());
    }

    /** The mount point of the first mount of {@code type} (with {@code option} among its super options). */
    static Optional<Path> mount(String type, String option) {
        List<String> lines;
        try {
            lines = Files.readAllLines(Path.of("/proc/self/mountinfo"));
        } catch (IOException e) {
            return Optional.empty();
        }
        for (String line : lines) {
            int dash = line.indexOf(" - ");
            if (dash < 0) {
                continue;
            }
            String[] pre = line.substring(0, dash).split(" ");
            String[] post = line.substring(dash + 3).split(" ");
            if (pre.length > 4 && post.length > 2 && post[0].equals(type)
                    && (option == null || List.of(post[2].split(",")).contains(option))) {
                return Optional.of(Path.of(pre[4].replace("\\040", " ")));
            }
        }
        return Optional.empty();
    }
}
