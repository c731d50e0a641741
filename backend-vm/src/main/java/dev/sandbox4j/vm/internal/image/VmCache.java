package dev.sandbox4j.vm.internal.image;

import dev.sandbox4j.SandboxStartException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The per-user cache of guest images, kernels and snapshots: {@code $XDG_CACHE_HOME/sandbox4j/vm}, else
 * {@code ~/.cache/sandbox4j/vm} (the system property {@code sandbox4j.vm.cache} overrides both, for tests).
 * Every entry is a directory named by a hash of everything that went into it, built in a temp directory
 * under a file lock and published with an atomic rename, so concurrent JVMs never see half an entry and a
 * changed input simply makes a new entry. Thread-safe.
 */
public final class VmCache {
    private final Path root;

    public VmCache(Path root) {
        this.root = root;
    }

    public static VmCache user() {
        String prop = System.getProperty("sandbox4j.vm.cache");
        if (prop != null && !prop.isBlank()) {
            return new VmCache(Path.of(prop));
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return new VmCache(base.resolve("sandbox4j").resolve("vm"));
    }

    public Path root() {
        return root;
    }

    /** The directory of a published entry ({@code kind/key}); it may not exist yet. */
    public Path entry(String kind, String key) {
        return root.resolve(kind).resolve(key);
    }

    /** Makes the work a builder does to fill an entry's directory; the directory is complete when it returns. */
    @FunctionalInterface
    public interface Builder {
        void build(Path dir) throws IOException;
    }

    /**
     * The entry {@code kind/key}, built by {@code builder} when it is missing. Concurrent callers, in this
     * JVM or another, wait for the one that builds.
     */
    public Path getOrBuild(String kind, String key, Builder builder) {
        Path dir = entry(kind, key);
        if (Files.isDirectory(dir)) {
            return dir;
        }
        try {
            Files.createDirectories(dir.getParent());
            Path lockFile = dir.getParent().resolve(key + ".lock");
            // the lock file stays: deleting it would let a later caller lock a new file while one still waits on the old
            try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                ch.lock(); // held until the channel closes
                if (Files.isDirectory(dir)) {
                    return dir;
                }
                Path tmp = Files.createTempDirectory(dir.getParent(), key + ".tmp-");
                try {
                    builder.build(tmp);
                    try {
                        Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
                    } catch (AtomicMoveNotSupportedException e) {
                        Files.move(tmp, dir);
                    }
                } finally {
                    deleteTree(tmp);
                }
            }
            return dir;
        } catch (IOException e) {
            throw new SandboxStartException("VM cache: cannot build " + kind + "/" + key + " in " + root + ": " + e
                    + "; check that the directory is writable (or set XDG_CACHE_HOME)", e);
        }
    }

    /** Removes an entry (a corrupt snapshot); never throws. */
    public void evict(String kind, String key) {
        deleteTree(entry(kind, key));
    }

    static void deleteTree(Path p) {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            s.sorted(Comparator.reverseOrder()).forEach(x -> {
                try {
                    Files.deleteIfExists(x);
                } catch (IOException ignored) {
                    // best effort: a leftover is rebuilt under another name
                }
            });
        } catch (IOException ignored) {
            // best effort, as above
        }
    }
}
