package dev.sandbox4j.agentsandbox;

import org.junit.jupiter.api.BeforeEach;
import org.springaicommunity.sandbox.AbstractSandboxTCK;

/** agent-sandbox's published TCK, unmodified, against the adapter over sandbox4j's {@code bubblewrap} backend. */
class BubblewrapAgentSandboxTckTest extends AbstractSandboxTCK {
    @BeforeEach
    void open() {
        sandbox = TckSandboxes.open("bubblewrap");
    }
}
