package dev.sandbox4j.linux;

import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.testkit.SandboxContractTest;
import java.util.Optional;

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

    /**
     * Known gap (issue 19): each exec is one systemd-nspawn run with a pid namespace of its own, which ends
     * when the exec returns, so a background process dies with its exec instead of running until close().
     */
    @Override
    protected Optional<BackgroundGap> knownBackgroundGap() {
        return Optional.of(BackgroundGap.KILLED_WHEN_EXEC_RETURNS);
    }
}
