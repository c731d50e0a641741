package dev.sandbox4j.vm.internal.session;

import dev.sandbox4j.SandboxException;
import dev.sandbox4j.spi.BackendSession;
import dev.sandbox4j.spi.SandboxSpec;
import dev.sandbox4j.vm.internal.qemu.VmPlan;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeoutException;

/** Boots a VM with its shares from the start (q35, or microvm without a snapshot) and sends INIT. Stateless. */
final class ColdBoot {
    private static final SecureRandom RANDOM = new SecureRandom();

    private ColdBoot() {
    }

    /** Boots the VM; {@code host} goes to the session (the caller closes it when this throws). */
    static BackendSession open(SandboxSpec spec, VmConfig cfg, VmPlan base, String name, AcceleratorChoice.Choice accel,
                               HostSide host) {
        long t0 = System.nanoTime();
        VmStarter s = new VmStarter(name, spec.sandboxId());
        try {
            VmPlan plan = base.withFs(s.shares(cfg), false);
            s.qemu(plan);
            s.agent().start();
            Duration boot = VmConfig.bootTimeout(spec.options(), MicrovmLauncher.BOOT_TIMEOUT);
            try {
                s.agent().awaitReady(boot);
            } catch (TimeoutException e) {
                throw s.failure("the guest did not signal ready within " + boot + " (option " + VmConfig.OPTION_BOOT_TIMEOUT
                        + " raises the bound)", e);
            } catch (SandboxException e) {
                throw s.failure("the guest died while booting: " + e.getMessage(), e);
            }
            try {
                s.agent().init(cfg.initNow(RANDOM, base.accel()), MicrovmLauncher.INIT_TIMEOUT);
            } catch (TimeoutException e) {
                throw s.failure("the guest did not answer INIT within " + MicrovmLauncher.INIT_TIMEOUT, e);
            } catch (SandboxException e) {
                throw s.failure("the guest could not set the sandbox up: " + e.getMessage(), e);
            }
            String note = base.machine().name().toLowerCase(Locale.ROOT) + " booted in "
                    + Duration.ofNanos(System.nanoTime() - t0).toMillis() + " ms, accelerator " + accel.describe();
            return new VmSession(name, s.keep(), host, spec.policy(), spec.events(), note);
        } finally {
            s.close();
        }
    }
}
