package dev.sandbox4j.internal.host;

import dev.sandbox4j.UnsupportedPolicyException;
import dev.sandbox4j.spi.PinnedPath;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The core's {@link PinnedPath}: an O_PATH descriptor held by this JVM, and its engine binds. Thread-safe. */
public final class PinnedPathImpl implements PinnedPath {
    private enum Mode { READ_ONLY, READ_WRITE }

    private final Path path;
    private final int fd;
    private final long device;
    private final long inode;
    private final boolean directory;
    private final int ownerUid;
    private final int ownerGid;
    private final Optional<Staging> staging;
    private final boolean insideWritable;
    private final java.util.OptionalLong holderPid;
    private final Map<Mode, Path> staged = new EnumMap<>(Mode.class);
    private boolean closed;

    PinnedPathImpl(Path path, int fd, long device, long inode, boolean directory, int ownerUid, int ownerGid,
                   Optional<Staging> staging, boolean insideWritable, java.util.OptionalLong holderPid) {
        this.path = path;
        this.fd = fd;
        this.device = device;
        this.inode = inode;
        this.directory = directory;
        this.ownerUid = ownerUid;
        this.ownerGid = ownerGid;
        this.staging = staging;
        this.insideWritable = insideWritable;
        this.holderPid = holderPid;
    }

    @Override
    public Path path() {
        return path;
    }

    @Override
    public long device() {
        return device;
    }

    @Override
    public long inode() {
        return inode;
    }

    @Override
    public boolean isDirectory() {
        return directory;
    }

    /** The owner the object had when it was pinned. */
    public int ownerUid() {
        return ownerUid;
    }

    public int ownerGid() {
        return ownerGid;
    }

    /** The descriptor, for this JVM's own use (the set-id sweep). */
    int fd() {
        return fd;
    }

    @Override
    public String procPath() {
        return "/proc/" + ProcessHandle.current().pid() + "/fd/" + fd;
    }

    /** {@code /proc/self/fd/<n>}: the object, for this JVM's own calls. */
    String selfPath() {
        return "/proc/self/fd/" + fd;
    }

    @Override
    public synchronized Path engineSource(boolean readOnly) {
        if (closed) {
            throw new IllegalStateException("the pin of " + path + " was released (its sandbox is closed)");
        }
        if (holderPid.isPresent()) {
            throw new UnsupportedPolicyException("(engine)", List.of(new UnsupportedPolicyException.Part(
                    "limits.disk", "DISK_LIMIT", List.of())), "the disk storage of a JVM that is not root lives in a"
                    + " user namespace of the library's own (process " + holderPid.getAsLong() + "), which no engine"
                    + " reaches, so " + path + " cannot be handed to one; run the JVM as root, use the namespaces or"
                    + " bubblewrap backend, or remove the limit (limits(l -> l.noDiskLimit()))");
        }
        if (staging.isEmpty()) {
            if (insideWritable) {
                throw new UnsupportedPolicyException("(engine)", List.of(new UnsupportedPolicyException.Part(
                        "filesystem mount " + path, "FILESYSTEM_VIEW", List.of())), "the host path " + path
                        + " lies inside a writable mount of the same sandbox, which could replace it with a link before"
                        + " the engine resolves it, and a JVM that is not root cannot pin it for the engine with a bind"
                        + " mount of its own; move it outside every writable mount, or run the JVM as root");
            }
            return path;
        }
        Mode mode = readOnly ? Mode.READ_ONLY : Mode.READ_WRITE;
        Path p = staged.get(mode);
        if (p == null) {
            p = staging.get().bind(this, readOnly);
            staged.put(mode, p);
        }
        return p;
    }

    @Override
    public synchronized PinnedPath child(String name) {
        if (closed) {
            throw new IllegalStateException("the pin of " + path + " was released (its sandbox is closed)");
        }
        return Pins.pinChild(this, name, staging, insideWritable, holderPid);
    }

    @Override
    public boolean stillPinned() {
        return holderPid.isEmpty() && Pins.resolvesTo(path, device, inode);
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        staged.values().forEach(p -> staging.ifPresent(s -> s.unbind(p)));
        staged.clear();
        LibC.INSTANCE.close(fd);
    }

    @Override
    public String toString() {
        return path + " (" + device + ":" + inode + ")";
    }
}
