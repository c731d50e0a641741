package dev.sandbox4j.container.internal.reap;

import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Network;
import dev.sandbox4j.container.internal.engine.EngineClient;
import dev.sandbox4j.spi.SessionLabels;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Removes from one engine the containers, networks and volumes labelled by sandbox4j whose owning JVM
 * is no longer running ({@link SessionLabels#ownerAlive(String)}); a live JVM's are never touched.
 * Never throws: an engine that cannot be asked is skipped. Stateless.
 */
public final class ContainerReaper {
    private static final System.Logger LOG = System.getLogger(ContainerReaper.class.getName());
    private static final String LABEL_FILTER = SessionLabels.LIBRARY_KEY + "=" + SessionLabels.LIBRARY;

    private ContainerReaper() {
    }

    /** Reaps one engine; one line per thing removed. */
    public static List<String> reap(EngineClient client) {
        List<String> removed = new ArrayList<>();
        try {
            for (Container c : client.api().listContainersCmd().withShowAll(true)
                    .withLabelFilter(Map.of(SessionLabels.LIBRARY_KEY, SessionLabels.LIBRARY)).exec()) {
                String session = c.getLabels() == null ? null : c.getLabels().get(SessionLabels.SESSION_KEY);
                if (session != null && !SessionLabels.ownerAlive(session)) {
                    try {
                        client.api().removeContainerCmd(c.getId()).withForce(true).withRemoveVolumes(true).exec();
                        removed.add(client.engineName() + " container " + c.getId().substring(0, 12) + " "
                                + String.join(",", c.getNames() == null ? new String[0] : c.getNames())
                                + " (session " + session + ")");
                    } catch (RuntimeException e) {
                        LOG.log(System.Logger.Level.DEBUG, "cannot remove " + c.getId(), e);
                    }
                }
            }
            for (Network n : client.api().listNetworksCmd().withFilter("label", List.of(LABEL_FILTER)).exec()) {
                String session = n.getLabels() == null ? null : n.getLabels().get(SessionLabels.SESSION_KEY);
                if (session != null && !SessionLabels.ownerAlive(session)) {
                    try {
                        client.api().removeNetworkCmd(n.getId()).exec();
                        removed.add(client.engineName() + " network " + n.getName() + " (session " + session + ")");
                    } catch (RuntimeException e) {
                        LOG.log(System.Logger.Level.DEBUG, "cannot remove network " + n.getId(), e);
                    }
                }
            }
            var volumes = client.api().listVolumesCmd().withFilter("label", List.of(LABEL_FILTER)).exec().getVolumes();
            if (volumes != null) {
                for (var v : volumes) {
                    Map<String, String> labels = v.getLabels();
                    String session = labels == null ? null : labels.get(SessionLabels.SESSION_KEY);
                    if (session != null && !SessionLabels.ownerAlive(session)) {
                        try {
                            client.api().removeVolumeCmd(v.getName()).exec();
                            removed.add(client.engineName() + " volume " + v.getName() + " (session " + session + ")");
                        } catch (RuntimeException e) {
                            LOG.log(System.Logger.Level.DEBUG, "cannot remove volume " + v.getName(), e);
                        }
                    }
                }
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "cannot reap " + client.endpoint(), e);
        }
        return removed;
    }
}
