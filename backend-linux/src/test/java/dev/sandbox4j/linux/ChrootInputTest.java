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
        return ChrootEscapeTest.policy().toBuilder().limits(l -> l.noDiskLimit()).build();
    }

    @Test
    void anExplicitUidIsRefusedRootIncluded() {
        // the command runs as the sandbox's own host uid: a uid of the policy's choosing needs RUN_AS_UID
        for (int uid : new int[] {0, 1000}) {
            refused(b -> b.policy(policy().toBuilder().process(new ProcessPolicy(false, OptionalInt.of(uid), true, true,
                    Set.of())).build()), UnsupportedPolicyException.class, "process.uid=" + uid, "needs RUN_AS_UID",
                    "enforced by", "namespaces");
        }
    }

    @Test
    void keptCapabilitiesAreRefused() {
        refused(b -> b.policy(policy().toBuilder().process(new ProcessPolicy(false, OptionalInt.empty(), true, true,
                Set.of("CAP_NET_BIND_SERVICE"))).build()), UnsupportedPolicyException.class, "keepCapabilities");
    }
}
