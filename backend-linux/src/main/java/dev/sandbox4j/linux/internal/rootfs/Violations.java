package dev.sandbox4j.linux.internal.rootfs;

import dev.sandbox4j.linux.internal.cgroup.CgroupSandbox;
import dev.sandbox4j.spi.SandboxSpec;

/** Reports the policy breaks an exec's end shows: an OOM kill at the memory limit, a fork refused at the pids limit, SIGXFSZ. */
final class Violations {
    private static final int SIGXFSZ = 25;

    private Violations() {
    }

    static void report(SandboxSpec spec, CgroupSandbox cgroup, int exitCode) {
        var limits = spec.policy().limits();
        if (limits.memory().isPresent() && cgroup.memoryLimitHit()) {
            spec.events().violation("limits.memory", "a process was killed by the out-of-memory killer at the memory limit "
                    + limits.memory().get());
        }
        if (limits.pids().isPresent() && cgroup.pidsLimitHit()) {
            spec.events().violation("limits.pids", "a fork or clone failed at the pids limit " + limits.pids().getAsInt());
        }
        if (exitCode == 128 + SIGXFSZ && limits.fileSize().isPresent()) {
            spec.events().violation("limits.fileSize", "the command was killed by SIGXFSZ: it wrote past the file size limit "
                    + limits.fileSize().get());
        }
    }
}
