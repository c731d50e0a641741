package dev.sandbox4j.linux;

import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.ProcessPolicy;
import dev.sandbox4j.UnsupportedPolicyException;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Bad input for {@code nspawn}, refused before anything runs; and the parts nspawn cannot take. */
class NspawnInputTest extends RootfsInputChecks {
    @Override
    String backend() {
        return "nspawn";
    }

    @Override
    IsolationPolicy policy() {
        return NspawnEscapeTest.policy().toBuilder().limits(l -> l.noDiskLimit()).build();
    }

    @Test
    void anExplicitUidIsRefused() {
        // the command runs as the sandbox's own host uid: a uid of the policy's choosing needs RUN_AS_UID
        refused(b -> b.policy(policy().toBuilder().process(new ProcessPolicy(true, java.util.OptionalInt.of(1000), true, true,
                Set.of())).build()), UnsupportedPolicyException.class, "process.uid=1000", "needs RUN_AS_UID", "enforced by");
    }

    @Test
    void keptCapabilitiesAreRefused() {
        ProcessPolicy p = policy().process();
        refused(b -> b.policy(policy().toBuilder().process(new ProcessPolicy(true, p.uid(), true, true,
                Set.of("CAP_NET_BIND_SERVICE"))).build()), UnsupportedPolicyException.class, "keepCapabilities");
    }
}
