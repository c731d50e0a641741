package dev.sandbox4j.linux;

import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.testkit.SandboxContractTest;

/**
 * The core contract kit against {@code chroot} with the strongest policy it claims: strict() without
 * network isolation (host network) and pid isolation, which a chroot does not have; the system-call filter
 * is loaded by s4j-launch --guard inside the root.
 * Rules needing /proc inside are skipped by the kit (a chroot has none, on purpose);
 * {@link ChrootEscapeTest} checks no-new-privileges and capabilities from the host side instead.
 */
class ChrootContractTest extends SandboxContractTest {
    @Override
    protected String backendName() {
        return "chroot";
    }

    @Override
    protected IsolationPolicy policy() {
        return strongestPolicyFor(capabilities());
    }
}
