package dev.sandbox4j.linux;

import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.ProcessPolicy;
import dev.sandbox4j.UnsupportedPolicyException;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Bad input for {@code chroot}, refused before anything runs; and the parts a chroot cannot take. */
class ChrootInputTest extends RootfsInputChecks {
    @Override
    String backend() {
        return "chroot";
    }

    @Override
    IsolationPolicy policy() {
        return ChrootEscapeTest.policy();
    }

    @Test
    void rootInsideIsRefused() {
        refused(b -> b.policy(policy().toBuilder().process(new ProcessPolicy(false, OptionalInt.of(0), true, true, Set.of()))
                .build()), UnsupportedPolicyException.class, "process.uid=0", "chroot x");
    }

    @Test
    void keptCapabilitiesAreRefused() {
        refused(b -> b.policy(policy().toBuilder().process(new ProcessPolicy(false, OptionalInt.of(1000), true, true,
                Set.of("CAP_NET_BIND_SERVICE"))).build()), UnsupportedPolicyException.class, "keepCapabilities");
    }
}
