package dev.sandbox4j.linux;

import dev.sandbox4j.testkit.BackendRequirement;
import org.junit.jupiter.api.Test;

/** A chroot sandbox whose JVM is SIGKILLed dies with it; the reaper removes the rest. */
class ChrootJvmDeathTest {
    @Test
    void theSandboxDiesWithItsJvmAndTheReaperRemovesTheRest() throws Exception {
        BackendRequirement.assumeAvailable("chroot");
        RootfsJvmDeath.check("chroot", new ChrootBackend());
    }
}
