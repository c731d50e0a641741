package dev.sandbox4j.linux;

import dev.sandbox4j.IsolationPolicy;
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

    /**
     * The strict policy, without the cgroup limits where this user can make no cgroup (said on the output): the
     * rules that set such a limit themselves then fail, as the backend refuses it when it opens.
     */
    @Override
    protected IsolationPolicy policy() {
        return TestPolicies.enforceable(super.policy());
    }
}
