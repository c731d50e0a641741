package dev.sandbox4j.spi;

import dev.sandbox4j.internal.host.Pins;
import java.nio.file.Path;

/**
 * A host path resolved once, when the sandbox was built, without following any symbolic link, and held
 * open for the sandbox's life (so its inode cannot be reused). A sandbox that later replaces a component
 * of the path with a link, or the object itself with another, changes nothing that a backend mounts: a
 * backend never resolves the path by name again but under the rule below.
 *
 * <p>How a backend uses it:
 * <ul>
 *   <li>a launcher of its own resolves {@link #path()} in its mount namespace with openat2's
 *       RESOLVE_NO_SYMLINKS and RESOLVE_NO_MAGICLINKS (or an O_NOFOLLOW walk), and mounts it only when the
 *       result is {@link #device()}/{@link #inode()}; else it fails;</li>
 *   <li>an engine that takes a path (dockerd, podman, runsc, virtiofsd) gets {@link #engineSource()}.</li>
 * </ul>
 * The paths of a {@link SandboxHost} are closed by the core when the sandbox closes, never by a backend; a
 * path a backend pinned itself with {@link #pin} is closed by that backend. Thread-safe.
 */
public interface PinnedPath extends AutoCloseable {
    /**
     * Pins {@code path} (absolute): resolves it without following a symbolic link and holds it open.
     *
     * @param what names the path in messages ("mount host path", "image directory")
     * @throws dev.sandbox4j.InvalidInputException when it does not exist or a component is a symbolic link
     *                                             (the message names the link and the real path to give)
     */
    static PinnedPath pin(Path path, String what) {
        return Pins.pin(path, what);
    }

    /** The absolute path as given (normalised, without a symlink in it). */
    Path path();

    /** st_dev of the pinned object, as statx reports it ({@code makedev(major, minor)}). */
    long device();

    /** st_ino of the pinned object. */
    long inode();

    boolean isDirectory();

    /**
     * {@code /proc/<this JVM's pid>/fd/<n>}: the pinned object itself, for a process that shares this JVM's
     * mount namespace and may read its descriptors (the same uid, or root). Binding from it works only in
     * that mount namespace; a process that made a namespace of its own resolves {@link #path()} as above.
     */
    String procPath();

    /**
     * A path that an engine may resolve by name: with a root JVM, a private bind mount of the pinned object
     * (nosuid, nodev, read-only when {@code readOnly}) under a root-only directory of the library, made on
     * the first call and removed when the sandbox closes; with an unprivileged JVM, {@link #path()} itself,
     * which is then refused when it lies inside a writable mount of the same sandbox (the sandbox could
     * replace it between the check and the engine's resolution).
     *
     * @throws dev.sandbox4j.UnsupportedPolicyException for such a nested source under an unprivileged JVM
     * @throws dev.sandbox4j.SandboxStartException      when the bind mount fails
     */
    Path engineSource(boolean readOnly);

    /**
     * Whether {@link #path()} still resolves, in this JVM's mount namespace and without a symlink, to the
     * pinned object (always false for a path of an unprivileged JVM's disk storage, which lies in another
     * mount namespace: {@link SandboxStorage#holderPid()}).
     */
    boolean stillPinned();

    /**
     * Pins the entry {@code name} of this directory, resolved beneath the pinned descriptor (openat2 with
     * RESOLVE_BENEATH, no symlink, no magic link): it cannot leave this directory whatever happened to the
     * path since. Its {@link #path()} is {@code path().resolve(name)}; the caller closes it.
     *
     * @throws dev.sandbox4j.InvalidInputException when {@code name} is not one plain name, is missing, or is a link
     */
    PinnedPath child(String name);

    /** {@code path (dev:ino)}, for plans and messages. */
    @Override
    String toString();

    /** Releases the descriptor and removes the engine's bind mount, if one was made. Idempotent; never throws. */
    @Override
    void close();
}
