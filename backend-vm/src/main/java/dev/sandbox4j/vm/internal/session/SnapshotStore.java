package dev.sandbox4j.vm.internal.session;

import dev.sandbox4j.SandboxStartException;
import dev.sandbox4j.spi.EventSink;
import dev.sandbox4j.vm.internal.image.GuestImage;
import dev.sandbox4j.vm.internal.image.Hashing;
import dev.sandbox4j.vm.internal.image.RamImage;
import dev.sandbox4j.vm.internal.image.VmCache;
import dev.sandbox4j.vm.internal.protocol.ReadyReport;
import dev.sandbox4j.vm.internal.qemu.QemuInstance;
import dev.sandbox4j.vm.internal.qemu.Qmp;
import dev.sandbox4j.vm.internal.qemu.VmPlan;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeoutException;

/**
 * The microvm snapshots: one per guest image and machine shape (accelerator, kernel command line, RAM,
 * vCPUs, root ports) and QEMU binary, in the {@link VmCache}. A snapshot is made by booting the guest
 * once with its RAM in a file, waiting for the agent's READY (the host's end of the port stays connected,
 * or the first message after a restore can be lost), pausing it, migrating its device state to a file
 * with {@code x-ignore-shared} (the RAM is not in the stream) and keeping the RAM's non-zero pages as a
 * {@link RamImage}. Files that do not match the manifest are rebuilt; a snapshot QEMU cannot load is
 * evicted by the caller. Thread-safe.
 */
final class SnapshotStore {
    static final String KIND = "snapshots";
    /** Snapshots kept per user (about 80 MB each): the least recently restored go first. */
    static final int KEEP = 6;
    private static final byte[] QEMU_MAGIC = {'Q', 'E', 'V', 'M'};

    private final VmCache cache;

    SnapshotStore(VmCache cache) {
        this.cache = cache;
    }

    /** A snapshot on disk: {@code state} is the device state, {@code ram} the RAM image, {@code key} its cache key. */
    record Snapshot(String key, Path state, Path ram) {
    }

    /** The migration capability that leaves shared (file-backed) RAM out of the stream, on both sides. */
    static final Map<String, Object> IGNORE_SHARED = Map.of("capabilities",
            List.of(Map.of("capability", "x-ignore-shared", "state", true)));

    static String key(GuestImage image, VmPlan plan) {
        try {
            return Hashing.shortKey(Hashing.of(List.of(image.key(), plan.machineKey(), Hashing.file(Path.of(VmPlan.QEMU)),
                    ReadyReport.VERSION)));
        } catch (IOException e) {
            throw new SandboxStartException("cannot read " + VmPlan.QEMU + " to key the snapshot: " + e, e);
        }
    }

    /** The snapshot for {@code plan} (which has no shares and no incoming state), built when missing. */
    Snapshot ensure(GuestImage image, VmPlan plan, Duration bootTimeout, EventSink events) {
        String key = key(image, plan);
        for (int attempt = 0; attempt < 2; attempt++) {
            boolean building = !Files.isDirectory(cache.entry(KIND, key));
            if (building) {
                events.progress("snapshot", "booting the microvm guest once to save its snapshot " + key
                        + " (" + plan.accel() + ", " + plan.ramMiB() + " MiB, " + plan.cpus() + " vCPU)");
            }
            Path dir = cache.getOrBuild(KIND, key, d -> build(d, key, plan, bootTimeout));
            String fault = validate(dir);
            if (fault == null) {
                touch(dir);
                if (building) {
                    prune(key);
                }
                return new Snapshot(key, dir.resolve("state"), dir.resolve("ram.img"));
            }
            events.progress("snapshot", "snapshot " + key + " is damaged (" + fault + "); rebuilding it");
            cache.evict(KIND, key);
        }
        throw new SandboxStartException("the microvm snapshot " + key + " in " + cache.entry(KIND, key)
                + " was damaged twice in a row; check the disk, or delete " + cache.root());
    }

    void evict(Snapshot s) {
        cache.evict(KIND, s.key());
    }

    /** Marks a snapshot as just used (its directory's modification time), for {@link #prune}. */
    private static void touch(Path dir) {
        try {
            Files.setLastModifiedTime(dir, FileTime.from(Instant.now()));
        } catch (IOException ignored) {
            // only the pruning order suffers
        }
    }

    /**
     * Keeps the {@link #KEEP} most recently used snapshots: every change of kernel, agent, QEMU or machine
     * shape makes a new one, and the old ones would pile up. A snapshot being restored right now stays
     * readable: QEMU and the RAM copy hold their files open.
     */
    private void prune(String keep) {
        Path root = cache.root().resolve(KIND);
        List<Path> dirs = new ArrayList<>();
        try (var s = Files.newDirectoryStream(root, p -> Files.isDirectory(p) && !p.getFileName().toString().contains(".tmp-"))) {
            s.forEach(dirs::add);
        } catch (IOException e) {
            return;
        }
        dirs.sort(Comparator.comparing((Path p) -> {
            try {
                return Files.getLastModifiedTime(p);
            } catch (IOException e) {
                return FileTime.fromMillis(0);
            }
        }).reversed());
        for (int i = KEEP; i < dirs.size(); i++) {
            if (!dirs.get(i).getFileName().toString().equals(keep)) {
                cache.evict(KIND, dirs.get(i).getFileName().toString());
            }
        }
    }

    /** Null when the state file is whole: its size is the manifest's, and it starts as QEMU's streams do. */
    static String validate(Path dir) {
        try {
            Properties m = new Properties();
            try (InputStream in = Files.newInputStream(dir.resolve("manifest.properties"))) {
                m.load(in);
            }
            Path state = dir.resolve("state");
            long size = Files.size(state);
            if (size != Long.parseLong(m.getProperty("size", "-1"))) {
                return "the state file has " + size + " bytes, the manifest says " + m.getProperty("size");
            }
            long ram = Files.size(dir.resolve("ram.img"));
            if (ram != Long.parseLong(m.getProperty("ram", "-1"))) {
                return "the RAM image has " + ram + " bytes, the manifest says " + m.getProperty("ram");
            }
            byte[] head;
            try (InputStream in = Files.newInputStream(state)) {
                head = in.readNBytes(4);
            }
            if (!Arrays.equals(head, QEMU_MAGIC)) {
                return "the state file does not start with QEMU's QEVM magic";
            }
            return null;
        } catch (IOException | RuntimeException e) {
            return "cannot read it: " + e;
        }
    }

    private static void build(Path out, String key, VmPlan plan, Duration bootTimeout) throws IOException {
        try (VmStarter s = new VmStarter("snapshot-" + key, "snap" + key.substring(0, 8) + Long.toHexString(System.nanoTime()))) {
            Path ramFile = s.dir().shm().resolve("ram");
            QemuInstance q = s.qemu(plan.withRamFile(ramFile));
            s.agent().start();
            try {
                s.agent().awaitReady(bootTimeout);
            } catch (TimeoutException e) {
                throw s.failure("the guest did not signal ready within " + bootTimeout + " while building the snapshot", e);
            } catch (RuntimeException e) {
                throw s.failure("the guest died while booting for the snapshot: " + e.getMessage(), e);
            }
            Path state = out.resolve("state");
            try {
                q.qmp().execute("stop", Map.of(), VmStarter.QMP_TIMEOUT);
                q.qmp().execute("migrate-set-capabilities", IGNORE_SHARED, VmStarter.QMP_TIMEOUT);
                q.qmp().execute("migrate", Map.of("uri", "exec:cat > '" + state + "'"), VmStarter.QMP_TIMEOUT);
                long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
                while (true) {
                    String status = q.qmp().execute("query-migrate", Map.of(), VmStarter.QMP_TIMEOUT).path("status").asText();
                    if (status.equals("completed")) {
                        break;
                    }
                    if (status.equals("failed") || status.equals("cancelled") || System.nanoTime() > deadline) {
                        throw s.failure("saving the snapshot ended with migration status '" + status + "'", null);
                    }
                    Thread.sleep(10);
                }
            } catch (Qmp.QmpException e) {
                throw s.failure("saving the snapshot failed: " + e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw s.failure("interrupted while saving the snapshot", e);
            }
            long ramImage = RamImage.save(ramFile, out.resolve("ram.img"));
            Properties m = new Properties();
            m.setProperty("size", Long.toString(Files.size(state)));
            m.setProperty("ram", Long.toString(ramImage));
            m.setProperty("machine", plan.machineKey());
            m.setProperty("created", Instant.now().toString());
            try (var w = Files.newBufferedWriter(out.resolve("manifest.properties"), StandardCharsets.UTF_8)) {
                m.store(w, "sandbox4j microvm snapshot " + key);
            }
        }
    }
}
