package dev.sandbox4j.linux;

import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.linux.internal.cgroup.CgroupSandbox;
import dev.sandbox4j.spi.Availability;
import dev.sandbox4j.spi.Capability;
import java.util.EnumSet;
import java.util.Set;

/**
 * The presets as this JVM can have them enforced by the namespaces and bubblewrap backends: without the
 * memory, cpus and pids limits when this user can make no cgroup (a JVM that is not root, outside a
 * delegated subtree: the backends refuse those limits there, as NamespacesUnprivilegedTest shows), said once
 * on the test output. Everything else, the disk limit included, stays.
 */
final class TestPolicies {
    private static volatile boolean said;

    private TestPolicies() {
    }

    /** {@link IsolationPolicy#strict()}, enforceable here. */
    static IsolationPolicy strict() {
        return enforceable(IsolationPolicy.strict());
    }

    /** {@code p} without the cgroup limits when no cgroup can be made here. */
    static IsolationPolicy enforceable(IsolationPolicy p) {
        Availability cgroups = CgroupSandbox.probe();
        if (cgroups.available()) {
            return p;
        }
        if (!said) {
            said = true;
            System.out.println("[TestPolicies] the policies leave out the memory, cpus and pids limits, which need a"
                    + " cgroup this user cannot make: " + cgroups.reason());
        }
        return p.toBuilder().limits(l -> l.noMemoryLimit().noCpuLimit().noPidsLimit()).build();
    }

    /** Whether this user can make the sandboxes' cgroups (memory, cpus and pids limits). */
    static boolean cgroups() {
        return CgroupSandbox.probe().available();
    }

    /** {@code claimed} without MEMORY_LIMIT, CPU_LIMIT and PIDS_LIMIT when no cgroup can be made here (said once). */
    static Set<Capability> enforceable(Set<Capability> claimed) {
        if (cgroups()) {
            return claimed;
        }
        enforceable(IsolationPolicy.strict());
        Set<Capability> out = EnumSet.copyOf(claimed);
        out.removeAll(EnumSet.of(Capability.MEMORY_LIMIT, Capability.CPU_LIMIT, Capability.PIDS_LIMIT));
        return out;
    }
}
