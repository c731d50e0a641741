package dev.sandbox4j.container.internal.plan;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandbox4j.DataSize;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.NetworkPolicy;
import dev.sandbox4j.ProcessPolicy;
import dev.sandbox4j.SandboxImage;
import dev.sandbox4j.container.internal.EngineKind;
import dev.sandbox4j.spi.EventSink;
import dev.sandbox4j.spi.HostIds;
import dev.sandbox4j.spi.PinnedPath;
import dev.sandbox4j.spi.SandboxHost;
import dev.sandbox4j.spi.SandboxStorage;
import dev.sandbox4j.spi.SandboxSpec;
import dev.sandbox4j.spi.SessionLabels;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import dev.sandbox4j.testkit.TestSpecs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ContainerPlannerTest {
    private static final Path INIT = Path.of("/usr/bin/tini-static");
    private static final HostIds IDS = new HostIds(1879048200, 1879048200, true);
    @TempDir
    static Path ws;

    private static SandboxSpec spec(IsolationPolicy p) {
        return TestSpecs.spec("abc123", p, SandboxImage.host(), ws, Map.of(), IDS);
    }

    private static ContainerPlan plan(IsolationPolicy p, EngineKind kind) {
        return ContainerPlanner.plan(spec(p), kind, "img:1", List.of(new BindMount("/usr", "/usr", true)), INIT.toString(),
                "/dev/null", "/workspace", kind == EngineKind.GVISOR ? Optional.of("runsc") : Optional.empty(), List.of());
    }

    @Test
    void strictPolicyMapsEveryPart() {
        ContainerPlan p = plan(IsolationPolicy.strict(), EngineKind.DOCKER);
        assertThat(p.memoryBytes()).hasValue(512L << 20);
        assertThat(p.nanoCpus()).hasValue(1_000_000_000L);
        assertThat(p.pidsLimit()).hasValue(128);
        assertThat(p.ulimits()).containsExactly(new ContainerPlan.Ulimit("fsize", 64L << 20, 64L << 20),
                new ContainerPlan.Ulimit("nofile", 256, 256));
        assertThat(p.readOnlyRootfs()).isTrue();
        assertThat(p.capDrop()).containsExactly("ALL");
        assertThat(p.capAdd()).isEmpty();
        assertThat(p.securityOpts()).hasSize(2).contains("no-new-privileges");
        assertThat(p.securityOpts().get(1)).isEqualTo("seccomp=" + SeccompProfiles.forSandbox(IsolationPolicy.strict()));
        assertThat(p.networkMode()).isEqualTo("none");
        assertThat(p.networkDisabled()).as("no engine networking for network none on Docker").isTrue();
        assertThat(p.user()).as("the sandbox's host ids").isEqualTo("1879048200:1879048200");
        assertThat(p.runtime()).isEmpty();
        assertThat(p.tmpfs()).containsEntry("/tmp", "rw,exec,nosuid,nodev,size=" + (512L << 20) + ",mode=1777");
        // a root JVM's (own ids) read-only sources are staged ro,nosuid,nodev binds: runc gets them as they are
        assertThat(p.binds()).contains(new BindMount("/usr", "/usr", true, true), new BindMount(ws.toString(), "/workspace", false),
                new BindMount(INIT.toString(), ContainerPlanner.INIT_PATH, true, true));
        assertThat(p.binds()).noneMatch(BindMount::engineReadOnly);
        assertThat(p.entrypoint()).containsExactly(ContainerPlanner.INIT_PATH, "--", "sleep", "2147483647");
        assertThat(p.labels()).containsEntry(SessionLabels.LIBRARY_KEY, SessionLabels.LIBRARY)
                .containsEntry(SessionLabels.SESSION_KEY, SessionLabels.current())
                .containsEntry(SessionLabels.SANDBOX_KEY, "abc123")
                .containsEntry(ContainerPlanner.BACKEND_LABEL, "docker");
        assertThat(p.name()).startsWith("sandbox4j-ctr-").endsWith("--abc123");
    }

    @Test
    void permissivePolicyAsksForNothing() {
        ContainerPlan p = plan(IsolationPolicy.permissive(), EngineKind.DOCKER);
        assertThat(p.memoryBytes()).isEmpty();
        assertThat(p.nanoCpus()).isEmpty();
        assertThat(p.pidsLimit()).isEmpty();
        assertThat(p.ulimits()).isEmpty();
        assertThat(p.capDrop()).isEmpty();
        assertThat(p.securityOpts()).as("the set-id guard applies to every sandbox").singleElement()
                .satisfies(o -> assertThat(o).startsWith("seccomp={"));
        assertThat(p.networkMode()).isEqualTo("host");
        assertThat(p.networkDisabled()).isFalse();
        assertThat(p.user()).isEqualTo("1879048200:1879048200");
    }

    @Test
    void keptCapabilitiesAreAddedBackAndLoopbackIsTheNoneNetwork() {
        IsolationPolicy pol = IsolationPolicy.strict().toBuilder().network(NetworkPolicy.loopback())
                .process(new ProcessPolicy(true, OptionalInt.empty(), true, true, Set.of("CAP_NET_BIND_SERVICE"))).build();
        ContainerPlan p = plan(pol, EngineKind.PODMAN);
        assertThat(p.capAdd()).containsExactly("NET_BIND_SERVICE");
        assertThat(p.networkMode()).isEqualTo("none");
        assertThat(p.networkDisabled()).isFalse();
        // loopback keeps the engine's none network on Docker too: its /etc/hosts resolves localhost
        assertThat(plan(pol, EngineKind.DOCKER).networkDisabled()).isFalse();
        assertThat(plan(IsolationPolicy.strict(), EngineKind.PODMAN).networkDisabled()).isFalse();
    }

    /**
     * Only a root JVM's sources are staged: an unprivileged JVM's are the paths themselves, which the engine
     * mounts read-only itself; gVisor keeps the read-only mount of its own whatever the source.
     */
    @Test
    void theEngineMountsReadOnlyWhatIsNotAStagedReadOnlySource() {
        SandboxSpec unprivileged = TestSpecs.spec("abc124", IsolationPolicy.strict(), SandboxImage.host(), ws, Map.of(),
                new HostIds(1001, 1001, false));
        ContainerPlan p = ContainerPlanner.plan(unprivileged, EngineKind.DOCKER, "img:1", List.of(new BindMount("/usr", "/usr",
                true)), INIT.toString(), "/dev/null", "/workspace", Optional.empty(), List.of());
        assertThat(p.binds()).contains(new BindMount("/usr", "/usr", true)).filteredOn(BindMount::readOnly)
                .allMatch(BindMount::engineReadOnly);
        assertThat(plan(IsolationPolicy.strict(), EngineKind.GVISOR).binds()).filteredOn(BindMount::readOnly)
                .isNotEmpty().allMatch(BindMount::engineReadOnly);
    }

    @Test
    void aHiddenDirectoryHidesTheImageBindsBeneathIt() {
        IsolationPolicy pol = IsolationPolicy.strict().toBuilder().filesystem(fs -> fs.hide("/etc/ssl")).build();
        ContainerPlan p = ContainerPlanner.plan(spec(pol), EngineKind.DOCKER, "img:1", List.of(new BindMount("/usr", "/usr", true),
                new BindMount("/etc/ssl/certs", "/etc/ssl/certs", true)), INIT.toString(), "/cover", "/workspace",
                Optional.empty(), List.of());
        assertThat(p.tmpfs()).containsKey("/etc/ssl");
        assertThat(p.binds()).extracting(BindMount::containerPath).contains("/usr").doesNotContain("/etc/ssl/certs");
    }

    @Test
    void policyMountReplacesTheImageMountAtTheSamePathAndHiddenPathsAreCovered() {
        IsolationPolicy pol = IsolationPolicy.strict().toBuilder().filesystem(fs -> fs.readWrite(Path.of("/etc"), "/usr")
                .hide("/etc/hostname").hide("/var")).limits(l -> l.memory(DataSize.ofMiB(64))).build();
        ContainerPlan p = plan(pol, EngineKind.DOCKER);
        assertThat(p.binds()).contains(new BindMount("/etc", "/usr", false)).doesNotContain(new BindMount("/usr", "/usr", true, true));
        assertThat(p.binds()).contains(new BindMount("/dev/null", "/etc/hostname", true, true));
        assertThat(p.tmpfs()).containsEntry("/var", "ro,nosuid,nodev,noexec,size=4096,mode=0")
                .containsEntry("/tmp", "rw,exec,nosuid,nodev,size=" + (64L << 20) + ",mode=1777");
    }

    @Test
    void gvisorAlwaysDropsCapabilitiesAndNewPrivilegesAndUsesRunsc() {
        IsolationPolicy pol = IsolationPolicy.strict().toBuilder().limits(l -> l.noPidsLimit())
                .syscalls(dev.sandbox4j.SyscallPolicy.allowAll())
                .process(new ProcessPolicy(true, OptionalInt.empty(), false, false, Set.of())).build();
        ContainerPlan p = plan(pol, EngineKind.GVISOR);
        assertThat(p.capDrop()).containsExactly("ALL");
        assertThat(p.securityOpts()).hasSize(2).startsWith("no-new-privileges");
        assertThat(p.runtime()).hasValue("runsc");
        assertThat(p.pidsLimit()).isEmpty();
    }

    @Test
    void withADiskLimitTheTmpfsPathsAreBindsOfTheStorageDirectories(@TempDir Path storage) throws java.io.IOException {
        IsolationPolicy pol = IsolationPolicy.strict().toBuilder().limits(l -> l.disk(DataSize.ofMiB(16))).build();
        Path storageDir = java.nio.file.Files.createDirectory(storage.resolve("tmp0"));
        Path varTmpDir = java.nio.file.Files.createDirectory(storage.resolve("tmp1"));
        SandboxHost host = new SandboxHost(IDS, PinnedPath.pin(ws, "workspace"), List.of(), Optional.empty(),
                Optional.of(new SandboxStorage(DataSize.ofMiB(16), List.of(PinnedPath.pin(storageDir, "storage directory"),
                        PinnedPath.pin(varTmpDir, "storage directory")), java.util.OptionalLong.empty())),
                PinnedPath::pin);
        SandboxSpec spec = new SandboxSpec("abc123", SessionLabels.current(), pol, SandboxImage.host(), ws, Map.of(),
                EventSink.discard(), host);
        ContainerPlan p = ContainerPlanner.plan(spec, EngineKind.DOCKER, "img:1", List.of(), INIT.toString(), "/dev/null",
                "/workspace", Optional.empty(), List.of());
        assertThat(p.tmpfs()).as("no engine tmpfs: it would escape the limit").doesNotContainKeys("/tmp", "/var/tmp");
        assertThat(p.binds()).contains(new BindMount(storageDir.toString(), "/tmp", false),
                new BindMount(varTmpDir.toString(), "/var/tmp", false));
    }
}
