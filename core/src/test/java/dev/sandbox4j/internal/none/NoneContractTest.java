package dev.sandbox4j.internal.none;

import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.testkit.SandboxContractTest;

/**
 * The contract kit against {@code none}: plain host processes. It claims only NETWORK_HOST and
 * IMAGE_HOST, so it runs on the permissive policy and every escape rule is skipped as not claimed; what
 * the core enforces for every backend (exit codes, streams, caps, timeouts, files, environment, fds) is
 * checked in full.
 */
class NoneContractTest extends SandboxContractTest {
    @Override
    protected String backendName() {
        return "none";
    }

    @Override
    protected IsolationPolicy policy() {
        return IsolationPolicy.permissive();
    }
}
