package dev.sandbox4j.internal.host;

import dev.sandbox4j.DataSize;
import dev.sandbox4j.SandboxStartException;
import dev.sandbox4j.spi.SessionLabels;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A root JVM's private directory for one sandbox, {@code <run dir>/sandbox4j-st-<session>--<id>} (mode
 * 0711 under a 0711 root-owned run directory, so that nobody but root can create or replace anything in
 * it): engine binds of pinned paths (nosuid, nodev, private propagation) and the disk storage tmpfs. Every
 * mount is made through the pinned descriptor, never by name. {@link #close()} detaches them all and
 * removes the directory; {@link #reap()} does the same for sessions whose JVM is gone. Thread-safe.
 */
public final class Staging implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Staging.class.getName());
    /** The kind in the directory's name. */
    static final String KIND = "st";

    private final Path dir;
    private final AtomicInteger next = new AtomicInteger();
    private final List<Path> mounts = new ArrayList<>();
    private boolean closed;

    private Staging(Path dir) {
        this.dir = dir;
    }

    /** The run directory: {@code sandbox4j.runDir}, else {@code /run/sandbox4j}. */
    static Path runDir() {
        return Path.of(System.getProperty("sandbox4j.runDir", "/run/sandbox4j"));
    }

    /** Makes the sandbox's directory; only for a root JVM. */
    static Staging create(String sandboxId) {
        Path run = runDir();
        Path dir = run.resolve(SessionLabels.hostName(KIND, sandboxId));
        try {
            ensureDir(run, "rwx--x--x");
            Files.createDirectory(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
            return new Staging(dir);
        } catch (IOException e) {
            throw new SandboxStartException("making the sandbox's private mount directory " + dir + " failed: " + e
                    + "; the run directory must be a local directory root can write (-Dsandbox4j.runDir=DIR)", e);
        }
    }

    /** Makes {@code dir} with {@code mode} when missing; refuses one that is a link or not root's. */
    static void ensureDir(Path dir, String mode) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectories(dir.getParent());
            try {
                Files.createDirectory(dir);
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString(mode));
            } catch (java.nio.file.FileAlreadyExistsException raced) {
                // another JVM made it first: checked below like any other
            }
        }
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)
                || (Integer) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS) != 0) {
            throw new IOException(dir + " is not a directory of root's (a link, or another user's)");
        }
    }

    Path dir() {
        return dir;
    }

    /** A bind of the pinned object at a new path here, nosuid and nodev (and read-only when asked). */
    synchronized Path bind(PinnedPathImpl pin, boolean readOnly) {
        Path target = dir.resolve("m" + next.incrementAndGet());
        try {
            if (pin.isDirectory()) {
                Files.createDirectory(target);
            } else {
                Files.createFile(target);
            }
        } catch (IOException e) {
            throw new SandboxStartException("making the mount point " + target + " for " + pin.path() + " failed: " + e, e);
        }
        mount(pin.selfPath(), target, null, LibC.MS_BIND, null, "bind " + pin.path());
        mounts.add(target);
        mount(null, target, null, LibC.MS_PRIVATE, null, "make the bind of " + pin.path() + " private");
        long flags = LibC.MS_REMOUNT | LibC.MS_BIND | LibC.MS_NOSUID | LibC.MS_NODEV | (readOnly ? LibC.MS_RDONLY : 0);
        mount(null, target, null, flags, null, "remount the bind of " + pin.path() + " nosuid,nodev" + (readOnly ? ",ro" : ""));
        return target;
    }

    /** Detaches one bind made by {@link #bind}. */
    synchronized void unbind(Path target) {
        if (mounts.remove(target)) {
            detach(target);
            deleteQuietly(target);
        }
    }

    /**
     * The disk storage: a tmpfs of {@code size} at {@code storage} here (nosuid, nodev, mode 0711), owned by
     * root; the caller makes what goes in it.
     */
    synchronized Path storage(DataSize size) {
        Path target = dir.resolve("storage");
        try {
            Files.createDirectory(target);
        } catch (IOException e) {
            throw new SandboxStartException("making the storage directory " + target + " failed: " + e, e);
        }
        mount("sandbox4j-disk", target, "tmpfs", LibC.MS_NOSUID | LibC.MS_NODEV, "size=" + size.bytes() + ",nr_inodes="
                + inodes(size) + ",mode=0711", "mount the " + size + " storage tmpfs");
        mounts.add(target);
        mount(null, target, null, LibC.MS_PRIVATE, null, "make the storage tmpfs private");
        return target;
    }

    /**
     * The storage's inode limit: one per 8 KiB of its size, at least 4096. tmpfs's {@code size} does not count
     * inodes, each of which costs the kernel about a kilobyte, so masses of empty files would go unbounded.
     */
    static long inodes(DataSize size) {
        return Math.max(4096, size.bytes() / 8192);
    }

    private static void mount(String source, Path target, String type, long flags, String data, String what) {
        if (LibC.INSTANCE.mount(source, target.toString(), type, flags, data) != 0) {
            throw new SandboxStartException(what + " on " + target + " failed: " + Errno.last()
                    + (type == null ? "" : "; mounting needs CAP_SYS_ADMIN in the JVM's mount namespace"));
        }
    }

    private static void detach(Path target) {
        if (LibC.INSTANCE.umount2(target.toString(), LibC.MNT_DETACH) != 0) {
            LOG.log(System.Logger.Level.WARNING, "umount2({0}, MNT_DETACH) failed: {1}", target, Errno.last());
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (int i = mounts.size() - 1; i >= 0; i--) {
            detach(mounts.get(i));
        }
        mounts.clear();
        deleteTree(dir);
    }

    /**
     * Detaches and removes the directories of sessions whose JVM is gone.
     *
     * @return one line per directory removed
     */
    public static List<String> reap() {
        List<String> out = new ArrayList<>();
        Path run = runDir();
        if (!Files.isDirectory(run, LinkOption.NOFOLLOW_LINKS)) {
            return out;
        }
        try (DirectoryStream<Path> s = Files.newDirectoryStream(run, SessionLabels.NAME_PREFIX + KIND + "-*")) {
            for (Path d : s) {
                Optional<String> session = SessionLabels.sessionOf(d.getFileName().toString());
                if (session.isEmpty() || SessionLabels.ownerAlive(session.get())) {
                    continue;
                }
                mountsUnder(d).forEach(Staging::detach);
                deleteTree(d);
                if (!Files.exists(d, LinkOption.NOFOLLOW_LINKS)) {
                    out.add("mount directory " + d + " (session " + session.get() + ")");
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "listing " + run + " for leftovers failed: " + e);
        }
        return out;
    }

    /** The mount points at or below {@code dir} in this JVM's mount table, deepest first. */
    static List<Path> mountsUnder(Path dir) {
        List<Path> out = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                String[] f = line.split(" ");
                if (f.length > 4) {
                    Path mp = Path.of(f[4].replace("\\040", " "));
                    if (mp.startsWith(dir)) {
                        out.add(mp);
                    }
                }
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "reading /proc/self/mountinfo failed: " + e);
        }
        out.sort(Comparator.comparingInt(Path::getNameCount).reversed());
        return out;
    }

    /**
     * Deletes a tree without following links; never throws. A tree that still holds a mount is left alone:
     * a walk would cross into it (a caller's workspace, bound here).
     */
    static void deleteTree(Path root) {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        List<Path> still = mountsUnder(root);
        if (!still.isEmpty()) {
            LOG.log(System.Logger.Level.WARNING, "not removing {0}: it still holds the mounts {1}", root, still);
            return;
        }
        try (var walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(Staging::deleteQuietly);
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "removing " + root + " failed: " + e);
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "removing " + p + " failed: " + e);
        }
    }
}
