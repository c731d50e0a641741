package dev.sandbox4j.vm;

import dev.sandbox4j.testkit.SandboxContractTest;
import org.junit.jupiter.api.BeforeAll;

/**
 * The core's contract kit against {@code microvm}: every rule of the capabilities it claims, with real
 * VMs restored from one snapshot (strict policy: 512 MiB limit in a 1 GiB guest, 1 vCPU).
 */
class MicrovmContractTest extends SandboxContractTest {
    @Override
    protected String backendName() {
        return "microvm";
    }

    /** Builds the snapshot first, so that its progress events do not precede a rule's Created event. */
    @BeforeAll
    void warmSnapshot() {
        VmTests.warm(backendName(), basePolicy());
    }
}
