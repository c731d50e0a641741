package dev.sandbox4j.testkit;

import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.Mount;
import dev.sandbox4j.SandboxImage;
import dev.sandbox4j.internal.host.JvmIds;
import dev.sandbox4j.internal.host.Pins;
import dev.sandbox4j.spi.EventSink;
import dev.sandbox4j.spi.HostIds;
import dev.sandbox4j.spi.PinnedPath;
import dev.sandbox4j.spi.SandboxHost;
import dev.sandbox4j.spi.SandboxSpec;
import dev.sandbox4j.spi.SessionLabels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Specs for unit tests that open or plan a backend session without the builder: the host side is the
 * JVM's ids (or {@code ids}), the given workspace and the policy's mounts pinned, no disk storage. The
 * pinned descriptors stay open for the test JVM's life.
 */
public final class TestSpecs {
    private TestSpecs() {
    }

    public static SandboxSpec spec(String id, IsolationPolicy policy, SandboxImage image, Path workspace,
                                   Map<String, String> options) {
        return spec(id, policy, image, workspace, options, new HostIds(JvmIds.uid(), JvmIds.gid(), false));
    }

    public static SandboxSpec spec(String id, IsolationPolicy policy, SandboxImage image, Path workspace,
                                   Map<String, String> options, HostIds ids) {
        return new SandboxSpec(id, SessionLabels.current(), policy, image, workspace, options, EventSink.discard(),
                host(policy, image, workspace, ids));
    }

    /** The host side of {@link #spec}. */
    public static SandboxHost host(IsolationPolicy policy, SandboxImage image, Path workspace, HostIds ids) {
        List<PinnedPath> mounts = new ArrayList<>();
        for (Mount m : policy.filesystem().mounts()) {
            mounts.add(Pins.pin(m.hostPath(), "mount host path"));
        }
        Optional<PinnedPath> rootfs = image instanceof SandboxImage.Directory d
                ? Optional.of(Pins.pin(d.rootfs(), "image directory")) : Optional.empty();
        return new SandboxHost(ids, Pins.pin(workspace, "workspace"), mounts, rootfs, Optional.empty(), Pins::pin);
    }
}
