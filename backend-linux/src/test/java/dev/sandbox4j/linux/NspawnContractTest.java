package dev.sandbox4j.linux;

import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.testkit.SandboxContractTest;

/**
 * The core contract kit against {@code nspawn} with the strongest policy it claims: strict(), system-call
 * filter included (loaded by s4j-launch --guard, not by nspawn's own filter, which cannot kill).
 */
class NspawnContractTest extends SandboxContractTest {
    @Override
    protected String backendName() {
        return "nspawn";
    }

    @Override
    protected IsolationPolicy policy() {
        return strongestPolicyFor(capabilities());
    }
}
