package dev.sandbox4j.container.internal.session;

import com.github.dockerjava.api.model.Ulimit;
import dev.sandbox4j.container.internal.engine.EngineClient;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What a Podman engine gives a container by default, learned once per engine from a container that is
 * created and removed without being started. Needed because Podman's compatible API, given any ulimit,
 * replaces its configured defaults (containers.conf {@code default_ulimits}) and sets nproc to 1048576,
 * which fails where root lacks CAP_SYS_RESOURCE. Thread-safe.
 */
final class PodmanDefaults {
    private static final Map<String, OptionalLong> NPROC = new ConcurrentHashMap<>();

    private PodmanDefaults() {
    }

    /** The engine's default hard RLIMIT_NPROC, if it sets one. */
    static OptionalLong nproc(EngineClient client, String image) {
        return NPROC.computeIfAbsent(client.endpoint().uri().toString(), k -> probe(client, image));
    }

    private static OptionalLong probe(EngineClient client, String image) {
        String id = null;
        try {
            id = client.api().createContainerCmd(image).withCmd("true")
                    .withLabels(Map.of(dev.sandbox4j.spi.SessionLabels.LIBRARY_KEY, dev.sandbox4j.spi.SessionLabels.LIBRARY,
                            dev.sandbox4j.spi.SessionLabels.SESSION_KEY, dev.sandbox4j.spi.SessionLabels.current()))
                    .exec().getId();
            Ulimit[] limits = client.api().inspectContainerCmd(id).exec().getHostConfig().getUlimits();
            if (limits != null) {
                for (Ulimit u : limits) {
                    if (u.getName().equalsIgnoreCase("nproc") || u.getName().equalsIgnoreCase("RLIMIT_NPROC")) {
                        return OptionalLong.of(u.getHardLong());
                    }
                }
            }
            return OptionalLong.empty();
        } catch (RuntimeException e) {
            return OptionalLong.empty();
        } finally {
            if (id != null) {
                ContainerSession.removeContainer(client, id);
            }
        }
    }
}
