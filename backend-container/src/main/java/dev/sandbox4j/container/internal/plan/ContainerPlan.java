package dev.sandbox4j.container.internal.plan;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Everything one sandbox container is made with, as plain data: the planner turns a policy into it, the
 * session hands it to the engine, and errors print it. Immutable.
 *
 * @param name           container name
 * @param image          image reference or id
 * @param labels         labels (session, sandbox, library) that the reaper looks for
 * @param entrypoint     init, then the keep-alive child (sleep, or the exec agent)
 * @param user           {@code uid:gid}: the sandbox's host ids
 * @param binds          bind mounts (system dirs of the host image, policy mounts, workspace, init, storage
 *                       dirs at the tmpfs paths under a disk limit), every source an engine source of a pinned path
 * @param tmpfs          tmpfs mounts: path to mount options
 * @param memoryBytes    memory limit, swap included (memory-swap = memory)
 * @param nanoCpus       CPU limit in billionths of a CPU
 * @param pidsLimit      the pids limit
 * @param ulimits        rlimits: name, soft, hard
 * @param readOnlyRootfs the image's file system read-only
 * @param capDrop        capabilities dropped ("ALL")
 * @param capAdd         capabilities kept after dropping all
 * @param securityOpts   no-new-privileges, seccomp profile
 * @param networkMode    none or host
 * @param networkDisabled no engine networking at all (Docker's {@code NetworkDisabled}): the runtime gives the
 *                       container a fresh network namespace of its own with only a loopback, and the engine makes
 *                       no network sandbox, no {@code /etc/hosts} and runs no network hook at start
 * @param runtime        the OCI runtime (runsc for gVisor); empty: the engine's default
 * @param commandPrefix  what every command started through the engine's Exec API runs under (gVisor: the
 *                       seccomp helper and its program); empty: nothing
 * @param stagedBinds    every bind source is a root JVM's staged nosuid,nodev bind and the runtime runc, which
 *                       keeps those flags: the session checks the started container's binds for them (nosuid,
 *                       nodev, and read-only where planned)
 */
public record ContainerPlan(String name, String image, Map<String, String> labels, List<String> entrypoint, String user,
                            List<BindMount> binds, Map<String, String> tmpfs, OptionalLong memoryBytes,
                            OptionalLong nanoCpus, OptionalLong pidsLimit, List<Ulimit> ulimits, boolean readOnlyRootfs,
                            List<String> capDrop, List<String> capAdd, List<String> securityOpts, String networkMode,
                            boolean networkDisabled, Optional<String> runtime, List<String> commandPrefix,
                            boolean stagedBinds) {

    /** One rlimit. */
    public record Ulimit(String name, long soft, long hard) {
    }

    public ContainerPlan {
        labels = Map.copyOf(labels);
        entrypoint = List.copyOf(entrypoint);
        binds = List.copyOf(binds);
        tmpfs = Map.copyOf(tmpfs);
        ulimits = List.copyOf(ulimits);
        capDrop = List.copyOf(capDrop);
        capAdd = List.copyOf(capAdd);
        securityOpts = List.copyOf(securityOpts);
        commandPrefix = List.copyOf(commandPrefix);
    }

    /** This plan with another main command after the init ({@code argv} runs as {@code init -- argv}). */
    public ContainerPlan withMainCommand(List<String> argv) {
        List<String> e = new java.util.ArrayList<>(List.of(ContainerPlanner.INIT_PATH, "--"));
        e.addAll(argv);
        return new ContainerPlan(name, image, labels, e, user, binds, tmpfs, memoryBytes, nanoCpus, pidsLimit, ulimits,
                readOnlyRootfs, capDrop, capAdd, securityOpts, networkMode, networkDisabled, runtime, commandPrefix, stagedBinds);
    }

    /** This plan with every exec'd command run under {@code prefix} (its argv comes after it). */
    public ContainerPlan withCommandPrefix(List<String> prefix) {
        return new ContainerPlan(name, image, labels, entrypoint, user, binds, tmpfs, memoryBytes, nanoCpus, pidsLimit, ulimits,
                readOnlyRootfs, capDrop, capAdd, securityOpts, networkMode, networkDisabled, runtime, prefix, stagedBinds);
    }

    /** A readable summary (the seccomp JSON shortened) for error messages. */
    public String describe() {
        StringBuilder sb = new StringBuilder("container ").append(name).append(" image=").append(image);
        runtime.ifPresent(r -> sb.append(" runtime=").append(r));
        sb.append(" user=").append(user).append(" network=").append(networkMode)
                .append(networkDisabled ? " networkDisabled" : "");
        memoryBytes.ifPresent(m -> sb.append(" memory=").append(m));
        nanoCpus.ifPresent(c -> sb.append(" nanoCpus=").append(c));
        pidsLimit.ifPresent(p -> sb.append(" pids=").append(p));
        if (!commandPrefix.isEmpty()) {
            sb.append(" commandPrefix=").append(commandPrefix);
        }
        sb.append(" readOnlyRootfs=").append(readOnlyRootfs).append(" capDrop=").append(capDrop).append(" capAdd=").append(capAdd);
        for (String o : securityOpts) {
            sb.append(" securityOpt=").append(o.startsWith("seccomp=") ? "seccomp=(" + o.length() + " chars)" : o);
        }
        for (BindMount b : binds) {
            sb.append(" bind=").append(b.hostPath()).append(':').append(b.containerPath()).append(b.readOnly() ? ":ro" : ":rw");
        }
        tmpfs.forEach((p, o) -> sb.append(" tmpfs=").append(p).append(':').append(o));
        for (Ulimit u : ulimits) {
            sb.append(" ulimit=").append(u.name()).append('=').append(u.soft()).append(':').append(u.hard());
        }
        return sb.toString();
    }
}
