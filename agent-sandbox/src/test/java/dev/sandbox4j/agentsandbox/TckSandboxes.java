package dev.sandbox4j.agentsandbox;

import dev.sandbox4j.testkit.BackendRequirement;

/** The adapter the TCK classes test: over a fresh sandbox4j sandbox of the named backend, default policy (strict). */
final class TckSandboxes {
    private TckSandboxes() {
    }

    /** Skips (or, under SANDBOX4J_REQUIRE, fails) when the backend is not available here. */
    static Sandbox4jSandbox open(String backend) {
        BackendRequirement.assumeAvailable(backend);
        return Sandbox4jSandbox.builder().sandbox(dev.sandbox4j.Sandbox.builder().backend(backend)).build();
    }
}
