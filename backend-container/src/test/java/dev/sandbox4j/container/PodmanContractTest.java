package dev.sandbox4j.container;

import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.testkit.SandboxContractTest;

/**
 * The core contract kit against {@code podman} with the default image ({@link dev.sandbox4j.SandboxImage#host()})
 * and the strongest policy it claims: strict() itself (its process asks for no uid, so RUN_AS_UID, which a
 * container that shares the host's ids does not claim, takes nothing away).
 */
class PodmanContractTest extends SandboxContractTest {
    @Override
    protected String backendName() {
        return "podman";
    }

    @Override
    protected IsolationPolicy policy() {
        return strongestPolicyFor(capabilities());
    }
}
