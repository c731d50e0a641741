package dev.sandbox4j.container;

import dev.sandbox4j.testkit.SandboxContractTest;

/**
 * The core contract kit against {@code podman} with the strict policy and the default image. When no
 * Podman socket runs, the backend starts its own private {@code podman system service}.
 */
class PodmanContractTest extends SandboxContractTest {
    @Override
    protected String backendName() {
        return "podman";
    }
}
