package dev.sandbox4j.internal.host;

import dev.sandbox4j.InvalidInputException;
import dev.sandbox4j.SandboxStartException;
import dev.sandbox4j.spi.HostIds;
import dev.sandbox4j.spi.SessionLabels;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;

/**
 * Gives each sandbox of a root JVM a host uid and gid (the same number) that no other sandbox and no host
 * process has, from a range the library owns: {@value #DEFAULT_RANGE} by default (above every range a
 * distribution hands out, below 2^31, which Docker and Podman refuse), or {@code -Dsandbox4j.uidRange=} /
 * {@code SANDBOX4J_UID_RANGE=FIRST-LAST}. One file per uid under {@code <run dir>/uids}, locked (fcntl)
 * while a sandbox holds the uid: the lock dies with its JVM, so no uid stays taken by a crash. A file
 * left non-empty names a holder that ended without releasing it; its uid is reused only when no process
 * runs as it any more (what a crashed JVM's sandbox left running keeps its uid from every new sandbox
 * until the reaper ends it). Thread-safe.
 */
public final class HostIdAllocator {
    static final String DEFAULT_RANGE = "1879048192-1879113727";
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int TRIES = 256;

    /** A uid held by one sandbox; {@link #close()} gives it back. */
    public static final class Lease implements AutoCloseable {
        private final HostIds ids;
        private final FileChannel channel;
        private final FileLock lock;
        private boolean released;

        private Lease(HostIds ids, FileChannel channel, FileLock lock) {
            this.ids = ids;
            this.channel = channel;
            this.lock = lock;
        }

        public HostIds ids() {
            return ids;
        }

        /** Empties the file (a clean release) and unlocks it. Idempotent; never throws. */
        @Override
        public synchronized void close() {
            if (released || channel == null) {
                return;
            }
            released = true;
            try {
                channel.truncate(0);
                lock.release();
            } catch (IOException ignored) {
                // the lock goes with the channel below in any case
            } finally {
                try {
                    channel.close();
                } catch (IOException ignored) {
                    // nothing to do: the fcntl lock is released with the descriptor
                }
            }
        }
    }

    private HostIdAllocator() {
    }

    /** The JVM's own ids, for an unprivileged JVM (and the {@code none} backend): nothing to release. */
    public static Lease jvmIds() {
        return new Lease(new HostIds(JvmIds.uid(), JvmIds.gid(), false), null, null);
    }

    /**
     * A fresh uid from the range, for a root JVM.
     *
     * @throws SandboxStartException when every uid tried is held, or the lock directory cannot be made
     */
    public static Lease allocate(String sandboxId) {
        long[] range = range();
        Path dir = Staging.runDir().resolve("uids");
        try {
            Staging.ensureDir(Staging.runDir(), "rwx--x--x");
            Staging.ensureDir(dir, "rwx------");
        } catch (IOException e) {
            throw new SandboxStartException("making the uid lock directory " + dir + " failed: " + e
                    + "; the run directory must be a local directory root can write (-Dsandbox4j.runDir=DIR)", e);
        }
        long size = range[1] - range[0] + 1;
        long start = Math.floorMod(RANDOM.nextLong(), size);
        for (int i = 0; i < Math.min(TRIES, size); i++) {
            long uid = range[0] + Math.floorMod(start + i, size);
            Lease l = tryTake(dir, (int) uid, sandboxId);
            if (l != null) {
                return l;
            }
        }
        throw new SandboxStartException("no free host uid in " + range[0] + "-" + range[1] + " after " + TRIES
                + " tries (each held by a live sandbox or a process left running); end leftover sandboxes"
                + " (Reaper.reapLeftovers()) or widen -Dsandbox4j.uidRange");
    }

    private static Lease tryTake(Path dir, int uid, String sandboxId) {
        FileChannel ch = null;
        try {
            ch = FileChannel.open(dir.resolve(Integer.toString(uid)), StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (OverlappingFileLockException sameJvm) {
                lock = null;
            }
            if (lock == null) {
                ch.close();
                return null;
            }
            if (ch.size() > 0 && ProcessUids.anyRunningAs(uid)) {
                // a holder that crashed left processes behind: not reusable until they are gone
                lock.release();
                ch.close();
                return null;
            }
            ch.truncate(0);
            ch.write(ByteBuffer.wrap((SessionLabels.current() + " " + sandboxId + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
            return new Lease(new HostIds(uid, uid, true), ch, lock);
        } catch (IOException e) {
            if (ch != null) {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // already failing
                }
            }
            throw new SandboxStartException("taking the host uid " + uid + " (lock file in " + dir + ") failed: " + e, e);
        }
    }

    /** The configured range as {first, last}. */
    static long[] range() {
        String spec = System.getProperty("sandbox4j.uidRange");
        String from = "-Dsandbox4j.uidRange";
        if (spec == null) {
            spec = System.getenv("SANDBOX4J_UID_RANGE");
            from = "SANDBOX4J_UID_RANGE";
        }
        if (spec == null) {
            spec = DEFAULT_RANGE;
            from = "the default";
        }
        String[] f = spec.trim().split("-");
        try {
            long first = Long.parseLong(f[0]);
            long last = f.length == 2 ? Long.parseLong(f[1]) : -1;
            if (f.length != 2 || first < 65536 || last < first || last > Integer.MAX_VALUE - 1) {
                throw new NumberFormatException();
            }
            return new long[] {first, last};
        } catch (NumberFormatException e) {
            throw new InvalidInputException("uid range (" + from + "): '" + spec + "' is not FIRST-LAST with"
                    + " 65536 <= FIRST <= LAST < 2147483647 (e.g. " + DEFAULT_RANGE + ")");
        }
    }
}
