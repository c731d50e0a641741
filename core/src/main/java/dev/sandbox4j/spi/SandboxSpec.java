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
 * @param workspace    an existing host directory to show read-write at the workspace path
 * @param options      backend-specific options given to the builder
 * @param events       where to report violations and progress
 */
public record SandboxSpec(String sandboxId, String sessionLabel, IsolationPolicy policy, SandboxImage image,
                          Path workspace, Map<String, String> options, EventSink events) {
    public SandboxSpec {
        options = Map.copyOf(options);
    }
}
