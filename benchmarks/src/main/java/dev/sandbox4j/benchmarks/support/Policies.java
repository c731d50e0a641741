package dev.sandbox4j.benchmarks.support;

import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.spi.Capability;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The policy every benchmark runs a backend under: {@link IsolationPolicy#strict()} when the backend claims
 * everything strict needs, else strict with exactly the parts relaxed that it cannot enforce (the same rule
 * as the core contract kit's, from {@link IsolationPolicy#strongestFor}).
 * Measuring every backend under the strongest policy it accepts keeps the comparison honest: no backend
 * is timed with a protection switched off that it could have enforced.
 */
public final class Policies {
    /** What {@link IsolationPolicy#strict()} needs of a backend. */
    static final Set<Capability> STRICT_NEEDS = Set.copyOf(EnumSet.of(Capability.FILESYSTEM_VIEW, Capability.TMPFS,
            Capability.NETWORK_NONE, Capability.MEMORY_LIMIT, Capability.CPU_LIMIT, Capability.PIDS_LIMIT,
            Capability.FILE_SIZE_LIMIT, Capability.OPEN_FILES_LIMIT, Capability.SYSCALL_FILTER,
            Capability.PID_ISOLATION, Capability.RUN_AS_UID, Capability.NO_NEW_PRIVILEGES,
            Capability.DROP_CAPABILITIES));

    private Policies() {
    }

    /** Strict, or strict with the parts relaxed that {@code claimed} cannot enforce. */
    public static IsolationPolicy strongestFor(Set<Capability> claimed) {
        return IsolationPolicy.strongestFor(claimed);
    }

    /** "strict", or "strict without X, Y" naming what {@link #strongestFor} relaxed: for the report. */
    public static String describe(Set<Capability> claimed) {
        Set<Capability> missing = EnumSet.copyOf(STRICT_NEEDS);
        missing.removeAll(claimed);
        if (missing.isEmpty()) {
            return "strict";
        }
        if (missing.equals(STRICT_NEEDS)) {
            return "no isolation (every part of strict relaxed)";
        }
        return "strict without " + missing.stream().map(Enum::name).sorted().collect(Collectors.joining(", "));
    }
}
