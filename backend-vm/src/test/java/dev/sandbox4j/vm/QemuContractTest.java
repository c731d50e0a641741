package dev.sandbox4j.vm;

import dev.sandbox4j.testkit.SandboxContractTest;
import org.junit.jupiter.api.BeforeAll;

/** The core's contract kit against {@code qemu}: a cold q35 boot per sandbox (strict policy). */
class QemuContractTest extends SandboxContractTest {
    @Override
    protected String backendName() {
        return "qemu";
    }

    /** Settles the KVM self-test first, so that nothing slow happens inside a rule's sandbox start. */
    @BeforeAll
    void warm() {
        VmTests.warm(backendName(), basePolicy());
    }
}
