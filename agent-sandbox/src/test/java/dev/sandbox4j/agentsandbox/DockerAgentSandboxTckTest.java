package dev.sandbox4j.agentsandbox;

import org.junit.jupiter.api.BeforeEach;
import org.springaicommunity.sandbox.AbstractSandboxTCK;

/** agent-sandbox's published TCK, unmodified, against the adapter over sandbox4j's {@code docker} backend. */
class DockerAgentSandboxTckTest extends AbstractSandboxTCK {
    @BeforeEach
    void open() {
        sandbox = TckSandboxes.open("docker");
    }
}
