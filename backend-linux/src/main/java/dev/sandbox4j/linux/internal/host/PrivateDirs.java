package dev.sandbox4j.linux.internal.host;

import dev.sandbox4j.SandboxStartException;
import dev.sandbox4j.spi.SessionLabels;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The sessions' private host directories, {@code sandbox4j-<kind>-<session>--<sandboxId>} (named by
 * {@link SessionLabels#hostName}, so that a leftover of a JVM that died can be told from a live one), and
 * their reaper. Thread-safe (stateless).
 */
public final class PrivateDirs {
    private static final System.Logger LOG = System.getLogger(PrivateDirs.class.getName());

    private PrivateDirs() {
    }

    /**
     * Makes the directory with exactly {@code mode} (e.g. {@code rwx------}), whatever the umask.
     *
     * @throws SandboxStartException naming the directory and the fix
     */
    public static Path create(Path parent, String kind, String sandboxId, String mode) {
        Path dir = parent.resolve(SessionLabels.hostName(kind, sandboxId));
        try {
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString(mode));
            return dir;
        } catch (IOException e) {
            throw new SandboxStartException("creating the sandbox's private directory " + dir + " failed: " + e
                    + "; check that " + parent + " exists and is writable (java.io.tmpdir, or the backend's tmpdir option)", e);
        }
    }

    /** Deletes a directory tree without following symlinks; never throws. */
    public static void delete(Path dir) {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
                    Files.deleteIfExists(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "removing {0} failed: {1}", dir, e);
        }
    }

    /**
     * Removes the directories of {@code kind} under {@code parent} whose JVM no longer runs.
     *
     * @return one line per directory removed, {@code "temp dir <path> (session <id>)"}
     */
    public static List<String> reap(Path parent, String kind) {
        List<String> removed = new ArrayList<>();
        String prefix = SessionLabels.NAME_PREFIX + kind + "-";
        try (Stream<Path> s = Files.list(parent)) {
            for (Path p : s.toList()) {
                String name = p.getFileName().toString();
                Optional<String> session = name.startsWith(prefix) ? SessionLabels.sessionOf(name) : Optional.empty();
                if (session.isPresent() && !session.get().equals(SessionLabels.current())
                        && !SessionLabels.ownerAlive(session.get())) {
                    delete(p);
                    if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                        removed.add("temp dir " + p + " (session " + session.get() + ")");
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "listing " + parent + " for leftovers failed: " + e);
        }
        return removed;
    }
}
