package dev.sandbox4j.vm.internal.session;

import dev.sandbox4j.SandboxException;
import dev.sandbox4j.SandboxImage;
import dev.sandbox4j.spi.BackendSession;
import dev.sandbox4j.spi.SandboxSpec;
import dev.sandbox4j.vm.internal.image.GuestImage;
import dev.sandbox4j.vm.internal.image.RamImage;
import dev.sandbox4j.vm.internal.image.VmCache;
import dev.sandbox4j.vm.internal.qemu.Incoming;
import dev.sandbox4j.vm.internal.qemu.QemuInstance;
import dev.sandbox4j.vm.internal.qemu.Qmp;
import dev.sandbox4j.vm.internal.qemu.VmPlan;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;

/**
 * Opens microvm sandboxes: makes sure the snapshot of this guest shape exists, then per sandbox starts
 * virtiofsd for each share and copies the snapshot's RAM while QEMU starts, connects QEMU to the virtiofsd
 * processes, streams the saved device state into QEMU, hot-adds the virtiofs devices to the empty root ports
 * while the guest is still paused, continues it and sends INIT (clock, RNG seed, mounts, limits). A snapshot
 * QEMU cannot load, or whose guest does not answer, is evicted, so the next open builds a fresh one.
 * Thread-safe.
 */
public final class MicrovmLauncher {
    public static final Set<String> OPTIONS = Set.of(VmConfig.OPTION_MEMORY, AcceleratorChoice.OPTION, "vm.snapshot",
            VmConfig.OPTION_BOOT_TIMEOUT, VmConfig.OPTION_ASLR);
    /** Bounds of the steps: a cold boot under TCG takes about 2 s on an idle host. */
    static final Duration BOOT_TIMEOUT = Duration.ofSeconds(90);
    static final Duration RESTORE_TIMEOUT = Duration.ofSeconds(60);
    static final Duration INIT_TIMEOUT = Duration.ofSeconds(60);
    /** Root ports in every snapshot: /usr, the workspace and two more mounts without a second snapshot. */
    static final int MIN_ROOT_PORTS = 4;
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Runs the start steps that overlap QEMU's start (virtiofsd, the RAM copy); idle threads end after a minute. */
    private static final ExecutorService STARTER = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 60, TimeUnit.SECONDS,
            new SynchronousQueue<>(), r -> {
                Thread th = new Thread(r, "sandbox4j-vm-start");
                th.setDaemon(true);
                return th;
            });

    private final VmCache cache;

    public MicrovmLauncher(VmCache cache) {
        this.cache = cache;
    }

    /** The accelerator this host gives the guest of {@code image}, and why, for probe(). */
    AcceleratorChoice.Choice acceleratorChoice(Map<String, String> options, SandboxImage image) {
        return AcceleratorChoice.choose(options, Guests.resolve(image, cache), cache);
    }

    public BackendSession open(SandboxSpec spec) {
        VmConfig.checkOptions(spec, OPTIONS);
        HostSide host = HostSide.open(spec);
        try {
            VmConfig cfg = VmConfig.of(spec, OPTIONS, host.usr());
            GuestImage image = Guests.resolve(spec.image(), cache);
            AcceleratorChoice.Choice accel = AcceleratorChoice.choose(spec.options(), image, cache);
            String name = "microvm-" + spec.sandboxId();
            VmPlan base = new VmPlan(VmPlan.Machine.MICROVM, accel.accel(), image.pvhKernel(), image.initramfs(), Cmdlines.microvm(),
                    cfg.ramMiB(), cfg.cpus(), Math.max(MIN_ROOT_PORTS, cfg.shares().size()), List.of(), true, Optional.empty(),
                    Optional.empty());
            if ("false".equals(spec.options().get("vm.snapshot"))) {
                return ColdBoot.open(spec, cfg, base, name, accel, host);
            }
            SnapshotStore store = new SnapshotStore(cache);
            SnapshotStore.Snapshot snap = store.ensure(image, base, VmConfig.bootTimeout(spec.options(), BOOT_TIMEOUT), spec.events());
            return restore(spec, cfg, base, name, accel, store, snap, host);
        } catch (RuntimeException | Error e) {
            host.close();
            throw e;
        }
    }

    /**
     * Restores {@code snap} into a new VM. Three things run at once, since each mostly waits on something
     * else: the virtiofsd processes start, the snapshot's RAM is written into the new RAM file (before QEMU
     * loads the device state, which reads the guest's virtqueues from RAM), and QEMU starts. QEMU connects to
     * the virtiofsd processes while the RAM is still being written (each sets up its own sandbox once
     * connected), so that their devices are added at once after the load.
     */
    private BackendSession restore(SandboxSpec spec, VmConfig cfg, VmPlan base, String name, AcceleratorChoice.Choice accel,
                                   SnapshotStore store, SnapshotStore.Snapshot snap, HostSide host) {
        Phases t = new Phases();
        VmStarter s = new VmStarter(name, spec.sandboxId());
        CompletableFuture<Long> shares = null;
        CompletableFuture<Long> ram = null;
        try {
            VmPlan plan = base.withFs(s.devices(cfg), true).withIncoming(snap.state()).withRamFile(s.dir().shm().resolve("ram"));
            Path ramFile = plan.ramFile().orElseThrow();
            long ramBytes = plan.ramMiB() << 20;
            try {
                RamImage.allocate(ramFile, ramBytes); // QEMU maps it at start
            } catch (IOException e) {
                throw s.failure("cannot make the RAM file " + ramFile + ": " + e.getMessage(), e);
            }
            shares = CompletableFuture.supplyAsync(() -> {
                s.shares(cfg);
                return t.since();
            }, STARTER);
            ram = CompletableFuture.supplyAsync(() -> {
                try {
                    RamImage.fill(snap.ram(), ramFile, ramBytes);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                return t.since();
            }, STARTER);
            CompletableFuture<Long> sharesReady = shares;
            // with the handshake: the migration capability the saved state needs, and QEMU's connections to
            // the virtiofsd processes (each then sets up its own sandbox while the RAM is written and the state loads)
            QemuInstance q = s.qemu(plan, () -> {
                try {
                    join(sharesReady);
                } catch (SandboxException e) {
                    throw s.failure(e.getMessage(), e);
                }
                List<VmPlan.QmpCommand> commands = new ArrayList<>(List.of(new VmPlan.QmpCommand("migrate-set-capabilities",
                        SnapshotStore.IGNORE_SHARED)));
                commands.addAll(plan.chardevCommands());
                return commands;
            });
            t.mark("QEMU start");
            try {
                join(ram);
            } catch (UncheckedIOException e) {
                store.evict(snap);
                throw s.failure("restoring the snapshot's RAM " + snap.ram() + " failed (" + e.getCause().getMessage()
                        + "); the snapshot was removed and the next open builds a new one", e.getCause());
            }
            t.mark("RAM wait");
            try {
                // only a failure to load the state is the snapshot's fault: then it goes
                Incoming.load(VmPlan.incomingSocket(s.dir()), snap.state(), RESTORE_TIMEOUT);
                awaitIncoming(q);
            } catch (IOException | Qmp.QmpException e) {
                store.evict(snap);
                throw s.failure("restoring the snapshot " + snap.state() + " failed (" + e.getMessage()
                        + "); the snapshot was removed and the next open builds a new one", e);
            }
            t.mark("load");
            try {
                List<VmPlan.QmpCommand> commands = new ArrayList<>(plan.deviceCommands());
                commands.add(new VmPlan.QmpCommand("cont", Map.of()));
                q.qmp().executeAll(commands, VmStarter.QMP_TIMEOUT);
            } catch (Qmp.QmpException e) {
                throw s.failure("adding the shares to the restored VM failed: " + e.getMessage(), e);
            }
            t.mark("devices");
            s.agent().start();
            try {
                s.agent().init(cfg.initNow(RANDOM, accel.accel()), INIT_TIMEOUT);
            } catch (TimeoutException e) {
                store.evict(snap);
                throw s.failure("the restored guest did not answer INIT within " + INIT_TIMEOUT
                        + "; the snapshot was removed and the next open builds a new one", e);
            } catch (SandboxException e) {
                throw s.failure("the guest could not set the sandbox up: " + e.getMessage(), e);
            }
            t.mark("INIT");
            String note = "microvm restored from snapshot " + snap.key() + " in " + t.total() + " ms (virtiofsd ready after "
                    + join(shares) + " ms and RAM after " + join(ram) + " ms, both while QEMU started; " + t + "), accelerator "
                    + accel.describe();
            return new VmSession(name, s.keep(), host, spec.policy(), spec.events(), note);
        } finally {
            // a failed start must not leave a virtiofsd behind that a helper thread is still starting
            settle(shares);
            settle(ram);
            s.close();
        }
    }

    /** The result of a start step, with its own exception unwrapped. */
    private static <T> T join(CompletableFuture<T> f) {
        try {
            return f.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw e;
        }
    }

    /** Waits for a start step that may still run (each is bounded by its own timeouts), ignoring its outcome. */
    private static void settle(CompletableFuture<?> f) {
        if (f != null) {
            try {
                f.join();
            } catch (RuntimeException ignored) {
                // reported by the step that joined it, or moot after another failure
            }
        }
    }

    /**
     * Waits until QEMU reports the loaded snapshot (the guest is then paused): QEMU closes the incoming stream
     * just before it switches the run state, so this usually answers at the first query.
     */
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
            LockSupport.parkNanos(200_000);
            if (Thread.interrupted()) {
                Thread.currentThread().interrupt();
                throw new Qmp.QmpException("interrupted while loading the snapshot");
            }
        }
    }
}
