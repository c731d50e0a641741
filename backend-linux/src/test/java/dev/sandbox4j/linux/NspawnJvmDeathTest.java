package dev.sandbox4j.linux;

import dev.sandbox4j.testkit.BackendRequirement;
import org.junit.jupiter.api.Test;

/** An nspawn sandbox whose JVM is SIGKILLed dies with it; the reaper removes the rest. */
class NspawnJvmDeathTest {
    @Test
    void theSandboxDiesWithItsJvmAndTheReaperRemovesTheRest() throws Exception {
        BackendRequirement.assumeAvailable("nspawn");
        RootfsJvmDeath.check("nspawn", new NspawnBackend());
    }
}
