package dev.sandbox4j.linux.internal.plan;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * What {@link SandboxPlan} needs to know of the host and of the open session, so that the plan itself
 * stays a pure function (tests pass their own {@link FileProbe}).
 *
 * @param uid         the JVM's uid on the host
 * @param gid         the JVM's gid on the host
 * @param privateDir  the session's private (0700) host directory, where generated files live
 * @param cgroupProcs the cgroup.procs files the first process joins (empty: none)
 * @param files       how to look at host paths
 */
public record HostFacts(int uid, int gid, Path privateDir, List<Path> cgroupProcs, FileProbe files) {

    public HostFacts {
        cgroupProcs = List.copyOf(cgroupProcs);
    }

    /** What a host path is. */
    public enum Kind { DIRECTORY, FILE, SYMLINK, OTHER, MISSING }

    /** Looks at host paths. */
    public interface FileProbe {
        /** The kind of {@code path}; with {@code follow} a symlink is followed. */
        Kind kind(Path path, boolean follow);

        /** The target of a symlink, as written. */
        Optional<String> linkTarget(Path path);

        /** Names in a directory, sorted; empty when it cannot be read. */
        List<String> list(Path dir);
    }

    /** The facts of this JVM with the real file system. */
    public static HostFacts current(Path privateDir, List<Path> cgroupProcs) {
        int uid;
        int gid;
        try {
            uid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            gid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:gid");
        } catch (IOException | UnsupportedOperationException e) {
            throw new IllegalStateException("cannot read this JVM's uid from /proc/self: " + e, e);
        }
        return new HostFacts(uid, gid, privateDir, cgroupProcs, REAL);
    }

    /** The real file system. */
    public static final FileProbe REAL = new FileProbe() {
        @Override
        public Kind kind(Path path, boolean follow) {
            LinkOption[] opts = follow ? new LinkOption[0] : new LinkOption[] {LinkOption.NOFOLLOW_LINKS};
            if (!follow && Files.isSymbolicLink(path)) {
                return Kind.SYMLINK;
            }
            if (Files.isDirectory(path, opts)) {
                return Kind.DIRECTORY;
            }
            if (Files.isRegularFile(path, opts)) {
                return Kind.FILE;
            }
            return Files.exists(path, opts) ? Kind.OTHER : Kind.MISSING;
        }

        @Override
        public Optional<String> linkTarget(Path path) {
            try {
                return Optional.of(Files.readSymbolicLink(path).toString());
            } catch (IOException | UnsupportedOperationException e) {
                return Optional.empty();
            }
        }

        @Override
        public List<String> list(Path dir) {
            try (Stream<Path> s = Files.list(dir)) {
                return s.map(p -> p.getFileName().toString()).sorted().toList();
            } catch (IOException e) {
                return List.of();
            }
        }
    };
}
