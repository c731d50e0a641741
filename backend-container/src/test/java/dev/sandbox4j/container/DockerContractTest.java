package dev.sandbox4j.container;

import dev.sandbox4j.testkit.SandboxContractTest;

/**
 * The core contract kit against {@code docker} with the strict policy and the default image
 * ({@link dev.sandbox4j.SandboxImage#host()}): docker claims every capability strict() needs.
 */
class DockerContractTest extends SandboxContractTest {
    @Override
    protected String backendName() {
        return "docker";
    }
}
