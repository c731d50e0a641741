package dev.sandbox4j.container.internal.runsc;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.OptionalLong;

/**
 * Everything the OCI bundle of one daemonless gVisor sandbox holds, as plain data: what
 * {@link BundlePlanner} made of the policy and {@link BundleWriter} writes as {@code config.json}.
 * Printed in errors; unit-tested without runsc.
 *
 * @param containerId  runsc's id of the container (in the sandbox's private state directory)
 * @param cgroupsPath  the host cgroup (v1: the same name under every controller), named with the session
 * @param args         the init's argv (the host's static init, then the exec agent)
 * @param env          the init's environment, {@code NAME=value}
 * @param uid          uid of every process inside: the sandbox's host uid
 * @param gid          its gid: the sandbox's host gid
 * @param mounts       in the order they are made: parents before children
 * @param rlimits      the init's rlimits, inherited by every command
 * @param memoryBytes  the memory limit of the whole sandbox (gVisor's kernel included); swap the same
 * @param cpuQuotaUs   CPU time per {@link #CPU_PERIOD_US}
 * @param seccomp      the {@code linux.seccomp} object of the sandbox's system-call table (every sandbox has one)
 */
record BundlePlan(String containerId, String cgroupsPath, List<String> args, List<String> env, int uid, int gid,
                  List<OciMount> mounts, List<Rlimit> rlimits, OptionalLong memoryBytes, OptionalLong cpuQuotaUs,
                  ObjectNode seccomp) {
    static final long CPU_PERIOD_US = 100_000;

    BundlePlan {
        args = List.copyOf(args);
        env = List.copyOf(env);
        mounts = List.copyOf(mounts);
        rlimits = List.copyOf(rlimits);
    }

    /** One entry of {@code mounts}: {@code type} bind (source a host path), tmpfs, proc or sysfs. */
    record OciMount(String destination, String type, String source, List<String> options) {
        OciMount {
            options = List.copyOf(options);
        }

        static OciMount bind(String source, String destination, boolean readOnly) {
            return new OciMount(destination, "bind", source, List.of("rbind", readOnly ? "ro" : "rw", "nosuid", "nodev"));
        }
    }

    /** An rlimit, soft equal to hard ({@code RLIMIT_NOFILE}). */
    record Rlimit(String type, long value) {
    }
}
