package dev.sandbox4j.spi;

import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.SandboxImage;
import java.nio.file.Path;
import java.util.Map;

/**
 * What a backend is asked to make: a validated policy and image, and the host workspace directory.
 *
 * @param sandboxId    unique id of this sandbox (for names and labels)
 * @param sessionLabel the id of this JVM's session; every resource the backend makes carries it, so a
 *                     reaper can remove the leftovers of a JVM that died ({@link SessionLabels})
 * @param policy       the policy, already checked against the backend's capabilities
 * @param image        the image, already checked against the backend's capabilities
 * @param workspace    an existing host directory to show read-write at the workspace path; with an
 *                     unprivileged JVM's disk storage a path in the storage holder's mount namespace
 *                     ({@link SandboxStorage#holderPid()})
 * @param options      backend-specific options given to the builder
 * @param events       where to report violations and progress
 * @param host         what the core prepared on the host: the sandbox's host ids, its pinned host paths
 *                     ({@code host.workspace().path()} is {@code workspace}) and its disk storage
 */
public record SandboxSpec(String sandboxId, String sessionLabel, IsolationPolicy policy, SandboxImage image,
                          Path workspace, Map<String, String> options, EventSink events, SandboxHost host) {
    public SandboxSpec {
        options = Map.copyOf(options);
        if (host == null || !host.workspace().path().equals(workspace)) {
            throw new IllegalArgumentException("spec of " + sandboxId + ": the host's pinned workspace "
                    + (host == null ? "is missing" : host.workspace().path() + " is not " + workspace));
        }
    }

    /** A copy with another policy (a backend that fixes a field, such as the uid, before planning). */
    public SandboxSpec withPolicy(IsolationPolicy other) {
        return new SandboxSpec(sandboxId, sessionLabel, other, image, workspace, options, events, host);
    }
}
