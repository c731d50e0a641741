package dev.sandbox4j;

import java.time.Duration;
import java.util.Optional;

/**
 * What one exec used, where the backend can measure it; empty optionals mean "not measured".
 *
 * @param cpuTime    user plus system CPU time of the exec's processes
 * @param peakMemory the highest memory use seen (the sandbox's cgroup or the process's max RSS)
 */
public record ResourceUsage(Optional<Duration> cpuTime, Optional<DataSize> peakMemory) {
    public static ResourceUsage unknown() {
        return new ResourceUsage(Optional.empty(), Optional.empty());
    }
}
