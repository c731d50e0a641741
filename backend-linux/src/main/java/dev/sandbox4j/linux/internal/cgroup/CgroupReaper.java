package dev.sandbox4j.linux.internal.cgroup;

import dev.sandbox4j.spi.SessionLabels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/** Finds the cgroups of dead sessions by name ({@link SessionLabels#sessionOf}) and removes them. */
final class CgroupReaper {
    private static final System.Logger LOG = System.getLogger(CgroupReaper.class.getName());
    /** Sandbox cgroups sit below the JVM's own cgroup, which is rarely deeper than this. */
    private static final int MAX_DEPTH = 8;

    private CgroupReaper() {
    }

    static List<String> reap(CgroupMounts mounts) {
        List<String> removed = new ArrayList<>();
        for (Path mount : mounts.allMounts()) {
            for (Path dir : leftovers(mount)) {
                String session = SessionLabels.sessionOf(dir.getFileName().toString()).orElseThrow();
                if (remove(dir)) {
                    removed.add("cgroup " + dir + " (session " + session + ")");
                }
            }
        }
        return removed;
    }

    private static List<Path> leftovers(Path mount) {
        try (Stream<Path> s = Files.find(mount, MAX_DEPTH, (p, a) -> a.isDirectory() && isDeadSessions(p))) {
            // a leftover inside another leftover (never made by us, but possible) goes first
            return s.sorted(Comparator.comparingInt(Path::getNameCount).reversed()).toList();
        } catch (IOException | java.io.UncheckedIOException e) {
            LOG.log(System.Logger.Level.DEBUG, "cgroup reaper: cannot walk {0}: {1}", mount, e);
            return List.of();
        }
    }

    private static boolean isDeadSessions(Path p) {
        Path name = p.getFileName();
        if (name == null || !name.toString().startsWith(SessionLabels.NAME_PREFIX)) {
            return false;
        }
        Optional<String> session = SessionLabels.sessionOf(name.toString());
        return session.isPresent() && !session.get().equals(SessionLabels.current())
                && !SessionLabels.ownerAlive(session.get());
    }

    /** Kills what is in {@code dir} (and below) and removes it, deepest first. */
    static boolean remove(Path dir) {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        List<Path> tree;
        try (Stream<Path> s = Files.walk(dir)) {
            tree = s.filter(Files::isDirectory).sorted(Comparator.comparingInt(Path::getNameCount).reversed()).toList();
        } catch (IOException | java.io.UncheckedIOException e) {
            tree = List.of(dir);
        }
        boolean ok = true;
        for (Path d : tree) {
            boolean v2 = Files.exists(d.resolve("cgroup.kill")) || Files.exists(d.resolve("cgroup.freeze"));
            boolean freezer = Files.exists(d.resolve("freezer.state"));
            CgroupKiller.killAll(v2 ? d : null, freezer ? d : null, d);
            long deadline = System.nanoTime() + 2_000_000_000L;
            while (true) {
                try {
                    Files.deleteIfExists(d);
                    break;
                } catch (IOException e) {
                    // EBUSY right after the last member died: the kernel is still tearing it down (usually < 1 ms)
                    if (System.nanoTime() > deadline) {
                        LOG.log(System.Logger.Level.WARNING, "cgroup: removing {0} failed: {1}", d, e);
                        ok = false;
                        break;
                    }
                    CgroupFiles.pause(1);
                }
            }
        }
        return ok;
    }
}
