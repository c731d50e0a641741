package dev.sandbox4j.linux;

import dev.sandbox4j.testkit.SandboxContractTest;

/**
 * The core contract kit against {@code bubblewrap} with the strict policy: bubblewrap claims every
 * capability strict() needs, so no rule is skipped for lack of a claim.
 */
class BubblewrapContractTest extends SandboxContractTest {
    @Override
    protected String backendName() {
        return "bubblewrap";
    }
}
