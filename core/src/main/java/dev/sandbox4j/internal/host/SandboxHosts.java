package dev.sandbox4j.internal.host;

import com.sun.jna.Memory;
import dev.sandbox4j.DataSize;
import dev.sandbox4j.InvalidInputException;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.Mount;
import dev.sandbox4j.SandboxImage;
import dev.sandbox4j.SandboxStartException;
import dev.sandbox4j.UnsupportedPolicyException;
import dev.sandbox4j.internal.files.TempWorkspace;
import dev.sandbox4j.spi.PinnedPath;
import dev.sandbox4j.spi.SandboxHost;
import dev.sandbox4j.spi.SandboxStorage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Prepares the host for one sandbox before its backend opens it, and releases it after: the host ids
 * (a uid of its own for a root JVM), the workspace (the caller's, or a fresh 0700 one; on the disk
 * storage when the policy has {@code limits.disk}), every host path of the policy pinned, and the
 * sweeps of the writable trees. Thread-safe: one {@link Prepared} per sandbox.
 */
public final class SandboxHosts {
    private static final System.Logger LOG = System.getLogger(SandboxHosts.class.getName());
    /** Free space below which a disk storage counts as full: a few pages, less than most writes need. */
    static final long FULL_BYTES = 64 * 1024;

    private SandboxHosts() {
    }

    /** One sandbox's host side. {@link #close()} releases all of it but the workspace's content. */
    public static final class Prepared implements AutoCloseable {
        private final SandboxHost host;
        private final Path workspace;
        private final boolean temporary;
        private final HostIdAllocator.Lease lease;
        private final Optional<Staging> staging;
        private final Optional<StorageHolder> holder;
        private final List<PinnedPathImpl> pins;
        private final List<PinnedPathImpl> writable;
        /** Set by close(): a descriptor number released may be reused for anything, so no sweep may run after. */
        private boolean closed;

        private Prepared(SandboxHost host, Path workspace, boolean temporary, HostIdAllocator.Lease lease,
                         Optional<Staging> staging, Optional<StorageHolder> holder, List<PinnedPathImpl> pins,
                         List<PinnedPathImpl> writable) {
            this.host = host;
            this.workspace = workspace;
            this.temporary = temporary;
            this.lease = lease;
            this.staging = staging;
            this.holder = holder;
            this.pins = pins;
            this.writable = writable;
        }

        public SandboxHost host() {
            return host;
        }

        /**
         * The workspace directory as this JVM reaches it: {@code host().workspace().path()}, or, for an
         * unprivileged JVM's disk storage, that path through the storage holder's {@code /proc/<pid>/root}.
         */
        public Path workspace() {
            return workspace;
        }

        /** Whether the workspace is the library's own (deleted at close). */
        public boolean temporary() {
            return temporary;
        }

        /**
         * When the sandbox has a disk storage and it is full (less than {@value #FULL_BYTES} bytes or no inode
         * free, so that the last write failed or the next one will): the storage's size. Never throws.
         */
        public Optional<DataSize> storageFull() {
            if (host.storage().isEmpty()) {
                return Optional.empty();
            }
            synchronized (this) {
                if (closed) {
                    return Optional.empty();
                }
                // through the pinned descriptor: an unprivileged JVM's storage is in another mount namespace,
                // which the JVM's own mount table (and so java.nio's FileStore) does not know
                try (Memory buf = new Memory(256)) {
                    buf.clear();
                    if (LibC.INSTANCE.statfs(((PinnedPathImpl) host.workspace()).selfPath(), buf) != 0) {
                        return Optional.empty();
                    }
                    long free = buf.getLong(32) * buf.getLong(8);
                    boolean noInode = buf.getLong(48) == 0;
                    return free < FULL_BYTES || noInode ? Optional.of(host.storage().get().limit()) : Optional.empty();
                }
            }
        }

        /** Clears set-id bits under every writable tree of the sandbox. Never throws. */
        public SetIdSweep.Result sweep() {
            return sweep(false);
        }

        /**
         * The last sweep at close: set-id bits cleared, and, when the sandbox had host ids of its own, what it
         * left owned by them in a caller's directory given back to that directory's owner (the uid goes back
         * to the pool and may serve another sandbox next). Never throws.
         */
        public SetIdSweep.Result finalSweep() {
            return sweep(true);
        }

        private synchronized SetIdSweep.Result sweep(boolean giveBack) {
            if (closed) {
                return new SetIdSweep.Result(0, 0, 0);
            }
            int s = 0;
            int c = 0;
            int f = 0;
            for (PinnedPathImpl p : writable) {
                if (!p.isDirectory()) {
                    continue;
                }
                boolean back = giveBack && host.ids().own() && !(temporary && p == host.workspace());
                try {
                    SetIdSweep.Result r = SetIdSweep.sweep(p, back ? OptionalInt.of(host.ids().uid()) : OptionalInt.empty(),
                            p.ownerUid(), p.ownerGid());
                    s += r.stripped();
                    c += r.chowned();
                    f += r.failed();
                } catch (RuntimeException | LinkageError e) {
                    LOG.log(System.Logger.Level.WARNING, "set-id sweep of " + p.path() + " failed", e);
                    f++;
                }
            }
            return new SetIdSweep.Result(s, c, f);
        }

        @Override
        public synchronized void close() {
            if (closed) {
                return;
            }
            closed = true;
            synchronized (pins) {
                pins.forEach(PinnedPathImpl::close);
            }
            staging.ifPresent(Staging::close);
            holder.ifPresent(StorageHolder::close);
            lease.close();
        }
    }

    /**
     * Prepares the host side.
     *
     * @param isolating false for the {@code none} backend: the JVM's ids, nothing staged
     * @throws UnsupportedPolicyException for a disk limit that cannot be enforced here
     * @throws InvalidInputException      for a host path that is missing or has a symbolic link in it
     */
    public static Prepared prepare(String sandboxId, IsolationPolicy policy, SandboxImage image, Optional<Path> callerWorkspace,
                                   boolean isolating) {
        checkDisk(policy, callerWorkspace);
        boolean root = JvmIds.root() && isolating;
        HostIdAllocator.Lease lease = root ? HostIdAllocator.allocate(sandboxId) : HostIdAllocator.jvmIds();
        Optional<Staging> staging = Optional.empty();
        Optional<StorageHolder> holder = Optional.empty();
        List<PinnedPathImpl> pins = new ArrayList<>();
        Path ws = null;
        boolean onStorage = false;
        boolean temporary = callerWorkspace.isEmpty();
        try {
            staging = root ? Optional.of(Staging.create(sandboxId)) : Optional.empty();
            Optional<DataSize> disk = policy.limits().disk();
            int tmpfsCount = policy.filesystem().tmpfs().size();
            PinnedPathImpl wsPin;
            List<PinnedPathImpl> storageDirs = new ArrayList<>();
            if (disk.isPresent() && staging.isPresent()) {
                Path storageRoot = storage(staging.get(), disk.get(), policy);
                ws = storageRoot.resolve("workspace");
                onStorage = true;
                wsPin = Pins.pin(ws, "workspace", staging, false);
                pins.add(wsPin);
                for (int i = 0; i < tmpfsCount; i++) {
                    storageDirs.add(Pins.pin(storageRoot.resolve("tmp" + i), "storage directory", staging, false));
                }
            } else if (disk.isPresent()) {
                holder = Optional.of(StorageHolder.start(sandboxId, disk.get(), tmpfsCount));
                ws = holder.get().root().resolve("workspace");
                onStorage = true;
                wsPin = Pins.pinInHolder(holder.get(), holder.get().dir().resolve("workspace"), "workspace");
                pins.add(wsPin);
                for (int i = 0; i < tmpfsCount; i++) {
                    storageDirs.add(Pins.pinInHolder(holder.get(), holder.get().dir().resolve("tmp" + i), "storage directory"));
                }
            } else {
                ws = callerWorkspace.orElseGet(() -> TempWorkspace.create(sandboxId));
                wsPin = Pins.pin(ws, "workspace", staging, false);
                pins.add(wsPin);
            }
            pins.addAll(storageDirs);
            List<Path> writableSources = new ArrayList<>(List.of(wsPin.path()));
            policy.filesystem().mounts().stream().filter(Mount::writable).forEach(m -> writableSources.add(m.hostPath()));

            List<PinnedPathImpl> writable = new ArrayList<>(List.of(wsPin));
            writable.addAll(storageDirs);
            List<PinnedPath> mounts = new ArrayList<>();
            for (Mount m : policy.filesystem().mounts()) {
                PinnedPathImpl p = Pins.pin(m.hostPath(), "mount host path", staging, insideOther(m.hostPath(), writableSources));
                pins.add(p);
                mounts.add(p);
                if (m.writable()) {
                    writable.add(p);
                }
            }
            Optional<PinnedPath> rootfs = Optional.empty();
            if (image instanceof SandboxImage.Directory d) {
                PinnedPathImpl p = Pins.pin(d.rootfs(), "image directory", staging, insideOther(d.rootfs(), writableSources));
                pins.add(p);
                rootfs = Optional.of(p);
            }
            java.util.OptionalLong holderPid = holderPid(holder);
            Optional<SandboxStorage> storage = disk.map(limit -> new SandboxStorage(limit, List.copyOf(storageDirs),
                    holderPid));
            Optional<Staging> stagingForPins = staging;
            SandboxHost host = new SandboxHost(lease.ids(), wsPin, mounts, rootfs, storage, (path, what) -> {
                PinnedPathImpl p = Pins.pin(path, what, stagingForPins, false);
                synchronized (pins) {
                    pins.add(p);
                }
                return p;
            });
            return new Prepared(host, ws, temporary, lease, staging, holder, pins, writable);
        } catch (RuntimeException | LinkageError e) {
            pins.forEach(PinnedPathImpl::close);
            if (temporary && ws != null && !onStorage) {
                try {
                    TempWorkspace.delete(ws);
                } catch (IOException | RuntimeException ignored) {
                    LOG.log(System.Logger.Level.WARNING, "could not delete the temp workspace " + ws + " after a failed start");
                }
            }
            staging.ifPresent(Staging::close);
            holder.ifPresent(StorageHolder::close);
            lease.close();
            throw e;
        }
    }

    private static java.util.OptionalLong holderPid(Optional<StorageHolder> holder) {
        return holder.map(h -> java.util.OptionalLong.of(h.pid())).orElse(java.util.OptionalLong.empty());
    }

    /** Removes the host directories of unprivileged JVMs' storage holders whose JVM is gone. */
    public static List<String> reapStorage() {
        return StorageHolder.reap();
    }

    /** The storage tmpfs with the workspace (0700) and one directory per tmpfs path (1777) in it. */
    private static Path storage(Staging staging, DataSize limit, IsolationPolicy policy) {
        Path root = staging.storage(limit);
        try {
            Path ws = root.resolve("workspace");
            Files.createDirectory(ws);
            Files.setPosixFilePermissions(ws, PosixFilePermissions.fromString("rwx------"));
            for (int i = 0; i < policy.filesystem().tmpfs().size(); i++) {
                Path t = root.resolve("tmp" + i);
                Files.createDirectory(t);
                // 1777, which no PosixFilePermission set can express (the sticky bit)
                Files.setAttribute(t, "unix:mode", 01777, LinkOption.NOFOLLOW_LINKS);
            }
            return root;
        } catch (IOException | UnsupportedOperationException e) {
            throw new SandboxStartException("making the workspace and tmpfs directories in the storage " + root
                    + " failed: " + e, e);
        }
    }

    /** Whether {@code p} is, or lies inside, one of {@code writable} other than itself. */
    static boolean insideOther(Path p, List<Path> writable) {
        for (Path w : writable) {
            if (!w.equals(p) && p.startsWith(w)) {
                return true;
            }
        }
        return false;
    }

    private static void checkDisk(IsolationPolicy policy, Optional<Path> callerWorkspace) {
        Optional<DataSize> disk = policy.limits().disk();
        if (disk.isEmpty()) {
            return;
        }
        String part = "limits.disk=" + disk.get();
        String fix = "; remove the limit with .limits(l -> l.noDiskLimit()) (the CLI: --disk none)";
        if (callerWorkspace.isPresent()) {
            throw refuse(part, part + " bounds only storage the library makes, but the workspace " + callerWorkspace.get()
                    + " is a host directory of the caller's, which no backend can bound: leave .workspace(dir) out (a"
                    + " fresh workspace is made on the bounded storage)" + fix);
        }
        List<Mount> rw = policy.filesystem().mounts().stream().filter(Mount::writable).toList();
        if (!rw.isEmpty()) {
            throw refuse(part, part + " bounds only storage the library makes, but the read-write mount of "
                    + rw.get(0).hostPath() + " is a host directory no backend can bound: mount it read-only" + fix);
        }
    }

    private static UnsupportedPolicyException refuse(String part, String message) {
        return new UnsupportedPolicyException("(any)", List.of(new UnsupportedPolicyException.Part(part, "DISK_LIMIT",
                List.of())), message);
    }
}
