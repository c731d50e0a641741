package dev.sandbox4j.vm.internal.session;

import dev.sandbox4j.SandboxException;
import dev.sandbox4j.SandboxImage;
import dev.sandbox4j.spi.BackendSession;
import dev.sandbox4j.spi.SandboxSpec;
import dev.sandbox4j.vm.internal.image.GuestImage;
import dev.sandbox4j.vm.internal.image.RamImage;
import dev.sandbox4j.vm.internal.image.VmCache;
import dev.sandbox4j.vm.internal.qemu.QemuInstance;
import dev.sandbox4j.vm.internal.qemu.Qmp;
import dev.sandbox4j.vm.internal.qemu.VmPlan;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeoutException;

/**
 * Opens microvm sandboxes: makes sure the snapshot of this guest shape exists, then per sandbox starts
 * virtiofsd for each share, starts QEMU loading the snapshot, hot-adds the virtiofs devices to the empty
 * root ports while the guest is still paused, continues it and sends INIT (clock, RNG seed, mounts,
 * limits). A snapshot QEMU cannot load, or whose guest does not answer, is evicted, so the next open
 * builds a fresh one. Thread-safe.
 */
public final class MicrovmLauncher {
    public static final Set<String> OPTIONS = Set.of(VmConfig.OPTION_MEMORY, AcceleratorChoice.OPTION, "vm.snapshot",
            VmConfig.OPTION_BOOT_TIMEOUT);
    /** Bounds of the steps: a cold boot under TCG takes about 2 s on an idle host. */
    static final Duration BOOT_TIMEOUT = Duration.ofSeconds(90);
    static final Duration RESTORE_TIMEOUT = Duration.ofSeconds(60);
    static final Duration INIT_TIMEOUT = Duration.ofSeconds(60);
    /** Root ports in every snapshot: /usr, the workspace and two more mounts without a second snapshot. */
    static final int MIN_ROOT_PORTS = 4;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final VmCache cache;

    public MicrovmLauncher(VmCache cache) {
        this.cache = cache;
    }

    /** The accelerator this host gives the default guest, for probe(). */
    public String accelerator(Map<String, String> options, SandboxImage image) {
        return AcceleratorChoice.choose(options, Guests.resolve(image, cache), cache).describe();
    }

    public BackendSession open(SandboxSpec spec) {
        VmConfig cfg = VmConfig.of(spec, OPTIONS);
        GuestImage image = Guests.resolve(spec.image(), cache);
        AcceleratorChoice.Choice accel = AcceleratorChoice.choose(spec.options(), image, cache);
        String name = "microvm-" + spec.sandboxId();
        VmPlan base = new VmPlan(VmPlan.Machine.MICROVM, accel.accel(), image.pvhKernel(), image.initramfs(), Cmdlines.microvm(),
                cfg.ramMiB(), cfg.cpus(), Math.max(MIN_ROOT_PORTS, cfg.shares().size()), List.of(), true, Optional.empty(), Optional.empty());
        if ("false".equals(spec.options().get("vm.snapshot"))) {
            return ColdBoot.open(spec, cfg, base, name, accel);
        }
        SnapshotStore store = new SnapshotStore(cache);
        SnapshotStore.Snapshot snap = store.ensure(image, base, VmConfig.bootTimeout(spec.options(), BOOT_TIMEOUT), spec.events());
        long t0 = System.nanoTime();
        VmStarter s = new VmStarter(name, spec.sandboxId());
        try {
            VmPlan plan = base.withFs(s.shares(cfg), true).withIncoming(snap.state()).withRamFile(s.dir().shm().resolve("ram"));
            long tShares = System.nanoTime();
            long tLoaded;
            try {
                RamImage.restore(snap.ram(), plan.ramFile().orElseThrow(), plan.ramMiB() << 20);
            } catch (java.io.IOException e) {
                store.evict(snap);
                throw s.failure("restoring the snapshot's RAM " + snap.ram() + " failed (" + e.getMessage()
                        + "); the snapshot was removed and the next open builds a new one", e);
            }
            QemuInstance q = s.qemu(plan);
            try {
                // only a failure to load the state is the snapshot's fault: then it goes
                q.qmp().execute("migrate-set-capabilities", SnapshotStore.IGNORE_SHARED, VmStarter.QMP_TIMEOUT);
                q.qmp().execute("migrate-incoming", Map.of("uri", plan.incomingUri()), VmStarter.QMP_TIMEOUT);
                awaitIncoming(q);
            } catch (Qmp.QmpException e) {
                store.evict(snap);
                throw s.failure("restoring the snapshot " + snap.state() + " failed (" + e.getMessage()
                        + "); the snapshot was removed and the next open builds a new one", e);
            }
            tLoaded = System.nanoTime();
            try {
                for (Map<String, Object> dev : plan.hotplugDevices()) {
                    q.qmp().execute("device_add", dev, VmStarter.QMP_TIMEOUT);
                }
                q.qmp().execute("cont", Map.of(), VmStarter.QMP_TIMEOUT);
            } catch (Qmp.QmpException e) {
                throw s.failure("adding the shares to the restored VM failed: " + e.getMessage(), e);
            }
            s.agent().start();
            try {
                s.agent().init(cfg.initNow(RANDOM), INIT_TIMEOUT);
            } catch (TimeoutException e) {
                store.evict(snap);
                throw s.failure("the restored guest did not answer INIT within " + INIT_TIMEOUT
                        + "; the snapshot was removed and the next open builds a new one", e);
            } catch (SandboxException e) {
                throw s.failure("the guest could not set the sandbox up: " + e.getMessage(), e);
            }
            long tEnd = System.nanoTime();
            String note = "microvm restored from snapshot " + snap.key() + " in "
                    + (tEnd - t0) / 1_000_000 + " ms (virtiofsd " + (tShares - t0) / 1_000_000 + " ms, QEMU start and load "
                    + (tLoaded - tShares) / 1_000_000 + " ms, devices and INIT " + (tEnd - tLoaded) / 1_000_000
                    + " ms), accelerator " + accel.describe();
            return new VmSession(name, s.keep(), spec.policy(), spec.events(), note);
        } finally {
            s.close();
        }
    }

    /** Waits until QEMU has loaded the whole snapshot (the guest is then paused). */
    private static void awaitIncoming(QemuInstance q) throws Qmp.QmpException {
        long deadline = System.nanoTime() + RESTORE_TIMEOUT.toNanos();
        while (true) {
            String status = q.qmp().execute("query-status", Map.of(), VmStarter.QMP_TIMEOUT).path("status").asText();
            if (!status.equals("inmigrate")) {
                if (!status.equals("paused") && !status.equals("postmigrate") && !status.equals("prelaunch")) {
                    throw new Qmp.QmpException("after loading the snapshot QEMU is in state '" + status + "'");
                }
                return;
            }
            if (!q.alive() || System.nanoTime() > deadline) {
                throw new Qmp.QmpException(q.alive() ? "loading did not finish within " + RESTORE_TIMEOUT : "QEMU exited while loading");
            }
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Qmp.QmpException("interrupted while loading the snapshot");
            }
        }
    }
}
