package dev.sandbox4j.container.internal.session;

import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Mount;
import com.github.dockerjava.api.model.MountType;
import com.github.dockerjava.api.model.Ulimit;
import dev.sandbox4j.container.internal.engine.EngineClient;
import dev.sandbox4j.container.internal.engine.EngineException;
import dev.sandbox4j.container.internal.plan.BindMount;
import dev.sandbox4j.container.internal.plan.ContainerPlan;
import dev.sandbox4j.spi.PinnedPath;
import dev.sandbox4j.spi.SessionLabels;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link ContainerPlan} to an engine's container: the plan's fields into docker-java's create call, with
 * the two places where Podman's compatible API differs from Docker's (a seccomp profile is a file there,
 * and any ulimit drops its default nproc). Stateless.
 */
final class ContainerCreator {
    private ContainerCreator() {
    }

    /**
     * Creates (does not start) the container; returns its id. The image is not looked up first: when the
     * engine has none of that name (404 on create, as {@code docker run} handles it), {@code ensureImage}
     * imports or pulls it and the create is tried once more.
     */
    static String create(EngineClient client, ContainerPlan plan, Runnable ensureImage) {
        try {
            return create(client, plan);
        } catch (EngineException e) {
            // the only 404 of a create is a missing image (a name conflict is 409, a bad mount 400)
            if (!(e.getCause() instanceof com.github.dockerjava.api.exception.NotFoundException)) {
                throw e;
            }
        }
        ensureImage.run();
        return create(client, plan);
    }

    /**
     * Creates (does not start) the container; returns its id. Podman's compatible API takes
     * {@code seccomp=<file>} where Docker's takes the profile itself: the profile is then written to a file
     * in a private directory of the JVM's (mode 0700), pinned, handed over as its engine source and removed
     * once the engine has read it at create.
     */
    static String create(EngineClient client, ContainerPlan plan) {
        boolean profileAsFile = client.engineName().equals("Podman");
        Path profileDir = null;
        PinnedPath profile = null;
        List<String> securityOpts = new ArrayList<>();
        try {
            for (String o : plan.securityOpts()) {
                if (profileAsFile && o.startsWith("seccomp=")) {
                    profileDir = Files.createTempDirectory(SessionLabels.hostName("seccomp",
                            plan.labels().get(SessionLabels.SANDBOX_KEY)) + "-");
                    Path file = profileDir.resolve("profile.json");
                    Files.writeString(file, o.substring("seccomp=".length()), StandardCharsets.UTF_8);
                    profile = PinnedPath.pin(file, "seccomp profile");
                    securityOpts.add("seccomp=" + profile.engineSource(true));
                } else {
                    securityOpts.add(o);
                }
            }
            return createWith(client, plan, securityOpts);
        } catch (IOException e) {
            throw new EngineException("cannot write the seccomp profile for " + plan.name() + ": " + e, e);
        } finally {
            if (profile != null) {
                profile.close();
            }
            if (profileDir != null) {
                try {
                    Files.deleteIfExists(profileDir.resolve("profile.json"));
                    Files.deleteIfExists(profileDir);
                } catch (IOException ignored) {
                    // the engine read it at create; a leftover file holds no secret
                }
            }
        }
    }

    private static String createWith(EngineClient client, ContainerPlan plan, List<String> securityOpts) {
        List<Mount> mounts = new ArrayList<>();
        for (BindMount b : plan.binds()) {
            mounts.add(new Mount().withType(MountType.BIND).withSource(b.hostPath()).withTarget(b.containerPath())
                    .withReadOnly(b.engineReadOnly()));
        }
        List<Ulimit> ulimits = new ArrayList<>(plan.ulimits().stream().map(u -> new Ulimit(u.name(), u.soft(), u.hard())).toList());
        if (client.engineName().equals("Podman") && !ulimits.isEmpty() && plan.ulimits().stream().noneMatch(u -> u.name().equals("nproc"))) {
            // given any ulimit, Podman drops its configured default nproc and sets 1048576, which root without
            // CAP_SYS_RESOURCE cannot raise to: keep the nproc Podman gives a container without ulimits
            PodmanDefaults.nproc(client, plan.image()).ifPresent(n -> ulimits.add(new Ulimit("nproc", n, n)));
        }
        HostConfig host = HostConfig.newHostConfig().withMounts(mounts).withTmpFs(plan.tmpfs()).withUlimits(ulimits)
                .withReadonlyRootfs(plan.readOnlyRootfs()).withNetworkMode(plan.networkMode())
                .withSecurityOpts(securityOpts).withInit(false).withAutoRemove(false);
        plan.memoryBytes().ifPresent(m -> host.withMemory(m).withMemorySwap(m));
        plan.nanoCpus().ifPresent(host::withNanoCPUs);
        plan.pidsLimit().ifPresent(host::withPidsLimit);
        plan.runtime().ifPresent(host::withRuntime);
        if (!plan.capDrop().isEmpty()) {
            host.withCapDrop(plan.capDrop().stream().map(Capability::valueOf).toArray(Capability[]::new));
        }
        if (!plan.capAdd().isEmpty()) {
            host.withCapAdd(plan.capAdd().stream().map(Capability::valueOf).toArray(Capability[]::new));
        }
        try {
            CreateContainerCmd cmd = client.api().createContainerCmd(plan.image()).withName(plan.name())
                    .withLabels(plan.labels()).withEntrypoint(plan.entrypoint()).withCmd(List.of())
                    .withWorkingDir("/").withHostConfig(host).withNetworkDisabled(plan.networkDisabled())
                    .withAttachStdin(false).withAttachStdout(false).withAttachStderr(false).withTty(false);
            if (!plan.user().isEmpty()) {
                cmd.withUser(plan.user());
            }
            return cmd.exec().getId();
        } catch (RuntimeException e) {
            throw client.failure("creating container " + plan.name() + " from image " + plan.image(), e);
        }
    }
}
