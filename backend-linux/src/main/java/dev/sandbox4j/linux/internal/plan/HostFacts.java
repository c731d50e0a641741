package dev.sandbox4j.linux.internal.plan;

import dev.sandbox4j.SandboxStartException;
import dev.sandbox4j.spi.PinnedPath;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * What {@link SandboxPlan} needs to know of the host and of the open session, so that the plan itself
 * stays a function of the spec and these facts (tests pass their own {@link FileProbe}).
 *
 * @param uid         the JVM's uid on the host (the launcher runs as it)
 * @param gid         the JVM's gid on the host
 * @param privateDir  the session's private (0700) host directory, where generated files live
 * @param cgroupProcs the cgroup.procs files the first process joins (empty: none)
 * @param files       how to look at, pin and write host paths
 */
public record HostFacts(int uid, int gid, Path privateDir, List<Path> cgroupProcs, FileProbe files) {

    public HostFacts {
        cgroupProcs = List.copyOf(cgroupProcs);
    }

    /** What a host path is. */
    public enum Kind { DIRECTORY, FILE, SYMLINK, OTHER, MISSING }

    /** Looks at, pins and writes host paths. */
    public interface FileProbe {
        /** The kind of {@code path}; with {@code follow} a symlink is followed. */
        Kind kind(Path path, boolean follow);

        /** The target of a symlink, as written. */
        Optional<String> linkTarget(Path path);

        /** Names in a directory, sorted; empty when it cannot be read. */
        List<String> list(Path dir);

        /**
         * Pins a host path the plan binds that the core did not pin (an image or system path): resolved once,
         * without following a symbolic link ({@link PinnedPath#pin}).
         *
         * @throws dev.sandbox4j.InvalidInputException when it is missing or a component is a link
         */
        HostPath pin(Path path, String what);

        /**
         * Writes a generated file (mode 0644, its directories made, never through a link) and pins it.
         *
         * @throws SandboxStartException when it cannot be written
         */
        HostPath write(Path file, String content);
    }

    /** The facts of this JVM with the real file system; pins are taken and released at once (see {@link Holding}). */
    public static HostFacts current(Path privateDir, List<Path> cgroupProcs) {
        return current(privateDir, cgroupProcs, REAL);
    }

    /** The facts of this JVM with {@code files}. */
    public static HostFacts current(Path privateDir, List<Path> cgroupProcs, FileProbe files) {
        int uid;
        int gid;
        try {
            uid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            gid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:gid");
        } catch (IOException | UnsupportedOperationException e) {
            throw new IllegalStateException("cannot read this JVM's uid from /proc/self: " + e, e);
        }
        return new HostFacts(uid, gid, privateDir, cgroupProcs, files);
    }

    /**
     * The real file system. Its pins are released at once: the {@link HostPath} keeps the object's identity,
     * which a launcher checks, but nothing keeps the inode from being reused; a session uses {@link Holding}.
     */
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

        @Override
        public HostPath pin(Path path, String what) {
            try (PinnedPath p = PinnedPath.pin(path, what)) {
                return HostPath.of(p);
            }
        }

        @Override
        public HostPath write(Path file, String content) {
            writeFile(file, content);
            return pin(file, "generated file");
        }
    };

    /**
     * A session's {@link FileProbe}: the real file system, with every pin it makes held open until
     * {@link #close()} (the session's close). Thread-safe.
     */
    public static final class Holding implements FileProbe, AutoCloseable {
        private final List<PinnedPath> held = new ArrayList<>();
        private boolean closed;

        @Override
        public Kind kind(Path path, boolean follow) {
            return REAL.kind(path, follow);
        }

        @Override
        public Optional<String> linkTarget(Path path) {
            return REAL.linkTarget(path);
        }

        @Override
        public List<String> list(Path dir) {
            return REAL.list(dir);
        }

        @Override
        public synchronized HostPath pin(Path path, String what) {
            if (closed) {
                throw new IllegalStateException("the session's pins were released (it is closed)");
            }
            PinnedPath p = PinnedPath.pin(path, what);
            held.add(p);
            return HostPath.of(p);
        }

        @Override
        public HostPath write(Path file, String content) {
            writeFile(file, content);
            return pin(file, "generated file");
        }

        /** Releases every pin. Idempotent; never throws. */
        @Override
        public synchronized void close() {
            closed = true;
            held.forEach(PinnedPath::close);
            held.clear();
        }
    }

    private static void writeFile(Path file, String content) {
        try {
            Files.createDirectories(file.getParent());
            Files.write(file, content.getBytes(StandardCharsets.UTF_8), StandardOpenOption.CREATE,
                    StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
            // the sandbox's user reads it through a read-only bind, whatever the umask
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        } catch (IOException e) {
            throw new SandboxStartException("writing the sandbox's generated file " + file + " failed: " + e, e);
        }
    }
}
