package dev.sandbox4j.internal.select;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sandbox4j.BackendInfo;
import dev.sandbox4j.BackendUnavailableException;
import dev.sandbox4j.DataSize;
import dev.sandbox4j.InvalidInputException;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.ProcessPolicy;
import dev.sandbox4j.SandboxImage;
import dev.sandbox4j.UnsupportedPolicyException;
import dev.sandbox4j.UnsupportedPolicyException.Part;
import dev.sandbox4j.spi.Availability;
import dev.sandbox4j.spi.Capability;
import dev.sandbox4j.spi.IsolationLevel;
import dev.sandbox4j.spi.SandboxBackend;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.ResourceLock;

/** Backend choice and fail-closed negotiation, with fake backends that declare and probe as told. */
@ResourceLock("system-property:sandbox4j.backend")
class SelectionTest {
    private static final IsolationPolicy STRICT = IsolationPolicy.strict();
    private static final SandboxImage HOST = SandboxImage.host();

    private final String savedProperty = System.getProperty("sandbox4j.backend");

    @AfterEach
    void restoreProperty() {
        if (savedProperty == null) {
            System.clearProperty("sandbox4j.backend");
        } else {
            System.setProperty("sandbox4j.backend", savedProperty);
        }
    }

    private static BackendRegistry registry(SandboxBackend... backends) {
        return new BackendRegistry(List.of(backends));
    }

    @Test
    void anExplicitNameWinsOverAStrongerBackend() {
        BackendRegistry r = registry(FakeBackend.full("vm", IsolationLevel.VIRTUAL_MACHINE),
                FakeBackend.full("ns", IsolationLevel.NAMESPACE));
        assertThat(r.choose("ns", STRICT, HOST).name()).isEqualTo("ns");
        assertThat(r.choose("auto", STRICT, HOST).name()).isEqualTo("vm");
    }

    @Test
    void anUnknownNameListsTheKnownOnes() {
        BackendRegistry r = registry(FakeBackend.full("bubblewrap", IsolationLevel.NAMESPACE),
                FakeBackend.full("docker", IsolationLevel.CONTAINER));
        assertThatThrownBy(() -> r.choose("bubblewarp", STRICT, HOST))
                .isInstanceOf(InvalidInputException.class)
                .hasMessage("backend 'bubblewarp' is not on the class path; known backends: bubblewrap, docker (or auto)."
                        + " Add the module that provides it.");
    }

    @Test
    void theSystemPropertyIsUsedOnlyWhenNoNameIsGiven() {
        System.setProperty("sandbox4j.backend", " docker ");
        assertThat(BackendRegistry.requestedName(Optional.empty())).isEqualTo("docker");
        assertThat(BackendRegistry.requestedName(Optional.of("  "))).isEqualTo("docker");
        assertThat(BackendRegistry.requestedName(Optional.of("bubblewrap"))).isEqualTo("bubblewrap");

        BackendRegistry r = registry(FakeBackend.full("vm", IsolationLevel.VIRTUAL_MACHINE),
                FakeBackend.full("docker", IsolationLevel.CONTAINER));
        assertThat(r.choose(BackendRegistry.requestedName(Optional.empty()), STRICT, HOST).name()).isEqualTo("docker");
    }

    @Test
    void withNoNameAndNoSettingTheRequestIsAuto() {
        System.clearProperty("sandbox4j.backend");
        assumeTrue(System.getenv("SANDBOX4J_BACKEND") == null, "SANDBOX4J_BACKEND is set in this environment");
        assertThat(BackendRegistry.requestedName(Optional.empty())).isEqualTo(BackendRegistry.AUTO);
        assertThat(BackendRegistry.requestedName(Optional.of(" kubernetes "))).isEqualTo("kubernetes");
    }

    @Test
    void autoPicksTheStrongestAvailableBackendThatCanEnforce() {
        FakeBackend vm = FakeBackend.full("qemu", IsolationLevel.VIRTUAL_MACHINE)
                .unavailable("qemu-system-x86_64 not found", "apt-get install qemu-system-x86");
        FakeBackend gvisor = FakeBackend.without("gvisor", IsolationLevel.USER_KERNEL, Capability.MEMORY_LIMIT);
        FakeBackend docker = FakeBackend.full("docker", IsolationLevel.CONTAINER);
        FakeBackend bwrap = FakeBackend.full("bubblewrap", IsolationLevel.NAMESPACE);
        BackendRegistry r = registry(bwrap, vm, docker, gvisor);
        assertThat(r.choose("auto", STRICT, HOST).name()).isEqualTo("docker");
        // a backend that cannot enforce the policy is not even probed
        assertThat(gvisor.probes()).isZero();
        assertThat(bwrap.probes()).isZero();

        // gvisor fits once the policy asks for no memory limit
        IsolationPolicy noMemory = STRICT.toBuilder().limits(l -> l.noMemoryLimit()).build();
        assertThat(r.choose("auto", noMemory, HOST).name()).isEqualTo("gvisor");
    }

    @Test
    void amongEqualsAutoPicksTheFasterStartThenTheName() {
        FakeBackend slow = FakeBackend.full("aaa-slow", IsolationLevel.NAMESPACE).startingIn(Duration.ofMillis(900));
        FakeBackend fast = FakeBackend.full("zzz-fast", IsolationLevel.NAMESPACE).startingIn(Duration.ofMillis(20));
        FakeBackend weaker = FakeBackend.full("chroot", IsolationLevel.PROCESS).startingIn(Duration.ofMillis(1));
        assertThat(registry(slow, weaker, fast).choose("auto", STRICT, HOST).name()).isEqualTo("zzz-fast");
        FakeBackend twin = FakeBackend.full("bbb", IsolationLevel.NAMESPACE).startingIn(Duration.ofMillis(20));
        assertThat(registry(fast, twin).choose("auto", STRICT, HOST).name()).isEqualTo("bbb");
    }

    @Test
    void autoNeverPicksNoneOrRemote() {
        FakeBackend none = FakeBackend.full("none", IsolationLevel.NONE);
        FakeBackend k8s = FakeBackend.full("kubernetes", IsolationLevel.REMOTE);
        BackendRegistry r = registry(none, k8s);
        assertThatThrownBy(() -> r.choose("auto", IsolationPolicy.permissive(), HOST))
                .isInstanceOf(BackendUnavailableException.class)
                .hasMessageContaining("none (NONE): never chosen by auto; name it (.backend(\"none\") or --backend none)")
                .hasMessageContaining("kubernetes (REMOTE): never chosen by auto; name it (.backend(\"kubernetes\") or --backend kubernetes)");
        // named, they are used
        assertThat(r.choose("none", IsolationPolicy.permissive(), HOST).name()).isEqualTo("none");
        assertThat(r.choose("kubernetes", STRICT, HOST).name()).isEqualTo("kubernetes");
        // and a weaker local backend wins over them under auto
        BackendRegistry withChroot = registry(none, k8s, FakeBackend.full("chroot", IsolationLevel.PROCESS));
        assertThat(withChroot.choose("auto", STRICT, HOST).name()).isEqualTo("chroot");
    }

    @Test
    void aNamedBackendLackingCapabilitiesIsRefusedPartByPart() {
        FakeBackend weak = FakeBackend.without("weak", IsolationLevel.PROCESS,
                Capability.MEMORY_LIMIT, Capability.PIDS_LIMIT, Capability.NETWORK_NONE);
        FakeBackend strong = FakeBackend.full("strong", IsolationLevel.NAMESPACE);
        FakeBackend memOnly = FakeBackend.without("docker", IsolationLevel.CONTAINER, Capability.PIDS_LIMIT);
        BackendRegistry r = registry(weak, strong, memOnly);

        assertThatThrownBy(() -> r.choose("weak", STRICT, HOST))
                .isInstanceOfSatisfying(UnsupportedPolicyException.class, e -> {
                    assertThat(e.backend()).isEqualTo("weak");
                    assertThat(e.parts()).containsExactly(
                            new Part("network=none", "NETWORK_NONE", List.of("docker", "strong")),
                            new Part("limits.memory=512m", "MEMORY_LIMIT", List.of("docker", "strong")),
                            new Part("limits.pids=128", "PIDS_LIMIT", List.of("strong")));
                    assertThat(e.getMessage())
                            .startsWith("backend 'weak' cannot enforce every part of the policy, so the sandbox was not made:")
                            .contains("\n  limits.memory=512m (needs MEMORY_LIMIT): enforced by docker, strong")
                            .contains("\n  limits.pids=128 (needs PIDS_LIMIT): enforced by strong")
                            .contains("relax the policy");
                });
        // the weak backend was refused before being probed
        assertThat(weak.probes()).isZero();
    }

    @Test
    void aPartNoInstalledBackendCanEnforceSaysSo() {
        FakeBackend a = FakeBackend.without("a", IsolationLevel.NAMESPACE, Capability.IMAGE_OCI);
        FakeBackend b = FakeBackend.without("b", IsolationLevel.CONTAINER, Capability.IMAGE_OCI);
        IsolationPolicy policy = STRICT.toBuilder().limits(l -> l.memory(DataSize.ofGiB(1))).build();
        assertThatThrownBy(() -> registry(a, b).choose("a", policy, SandboxImage.oci("python:3.12")))
                .isInstanceOfSatisfying(UnsupportedPolicyException.class, e -> {
                    assertThat(e.parts()).containsExactly(new Part("image=oci:python:3.12", "IMAGE_OCI", List.of()));
                    assertThat(e.getMessage()).contains("image=oci:python:3.12 (needs IMAGE_OCI): no installed backend can enforce it");
                });
    }

    @Test
    void limitsLeftUnsetNeedNoCapability() {
        FakeBackend plain = new FakeBackend("plain", IsolationLevel.NONE, Duration.ofMillis(5),
                Set.of(Capability.NETWORK_HOST, Capability.IMAGE_HOST), () -> Availability.available("host"));
        BackendRegistry r = registry(plain);
        assertThat(r.choose("plain", IsolationPolicy.permissive(), HOST)).isSameAs(plain);
        assertThat(BackendRegistry.unenforceable(plain, IsolationPolicy.permissive(), HOST)).isEmpty();
        assertThat(BackendRegistry.unenforceable(plain, STRICT, HOST)).contains(
                "filesystem (isolated view) (needs FILESYSTEM_VIEW)", "network=none (needs NETWORK_NONE)",
                "limits.memory=512m (needs MEMORY_LIMIT)", "limits.cpus=1.0 (needs CPU_LIMIT)",
                "limits.pids=128 (needs PIDS_LIMIT)", "limits.fileSize=64m (needs FILE_SIZE_LIMIT)",
                "limits.openFiles=256 (needs OPEN_FILES_LIMIT)", "limits.disk=1g (needs DISK_LIMIT)",
                "process.isolatePids (needs PID_ISOLATION)", "process.dropCapabilities (needs DROP_CAPABILITIES)");
        // the presets leave the uid to the sandbox's own user, which needs no capability
        assertThat(BackendRegistry.unenforceable(plain, STRICT, HOST)).noneMatch(p -> p.startsWith("process.uid"));
        assertThat(BackendRegistry.unenforceable(plain, STRICT.toBuilder().process(new ProcessPolicy(false,
                OptionalInt.of(ProcessPolicy.NOBODY), false, false, Set.of())).build(), HOST))
                .contains("process.uid=65534 (needs RUN_AS_UID)");
    }

    @Test
    void whenNothingFitsEveryBackendIsListedWithItsReasonAndFix() {
        FakeBackend qemu = FakeBackend.full("qemu", IsolationLevel.VIRTUAL_MACHINE)
                .unavailable("no guest kernel found", "install linux-image-amd64 or pass SandboxImage.vm(kernel, initrd)");
        FakeBackend docker = FakeBackend.full("docker", IsolationLevel.CONTAINER)
                .unavailable("cannot reach /var/run/docker.sock", "start dockerd");
        FakeBackend chroot = FakeBackend.without("chroot", IsolationLevel.PROCESS, Capability.NETWORK_NONE, Capability.PID_ISOLATION);
        FakeBackend none = FakeBackend.full("none", IsolationLevel.NONE);
        assertThatThrownBy(() -> registry(none, chroot, docker, qemu).choose("auto", STRICT, HOST))
                .isInstanceOf(BackendUnavailableException.class)
                .hasMessageStartingWith("no backend can run this sandbox here (backend=auto):")
                .hasMessageContaining("\n  qemu (VIRTUAL_MACHINE): unavailable: no guest kernel found; fix: install linux-image-amd64")
                .hasMessageContaining("\n  docker (CONTAINER): unavailable: cannot reach /var/run/docker.sock; fix: start dockerd")
                .hasMessageContaining("\n  chroot (PROCESS): cannot enforce network=none, process.isolatePids")
                .hasMessageContaining("\n  none (NONE): never chosen by auto")
                .hasMessageEndingWith("Run 'sandbox4j doctor' for the same table.");
    }

    @Test
    void withNoBackendAtAllTheErrorSaysWhatToAdd() {
        assertThatThrownBy(() -> registry().choose("auto", STRICT, HOST))
                .isInstanceOf(BackendUnavailableException.class)
                .hasMessageContaining("no backend is on the class path; add sandbox4j-backend-linux");
    }

    @Test
    void aProbeThatThrowsIsReportedUnavailableNotPropagated() {
        FakeBackend broken = FakeBackend.full("broken", IsolationLevel.VIRTUAL_MACHINE).probing(() -> {
            throw new IllegalStateException("boom in probe");
        });
        FakeBackend nulls = FakeBackend.full("nulls", IsolationLevel.USER_KERNEL).probing(() -> null);
        FakeBackend bwrap = FakeBackend.full("bubblewrap", IsolationLevel.NAMESPACE);
        assertThat(registry(broken, nulls, bwrap).choose("auto", STRICT, HOST).name()).isEqualTo("bubblewrap");

        assertThatThrownBy(() -> registry(broken, nulls).choose("auto", STRICT, HOST))
                .isInstanceOf(BackendUnavailableException.class)
                .hasMessageContaining("broken (VIRTUAL_MACHINE): unavailable: probe() failed: java.lang.IllegalStateException: boom in probe;"
                        + " fix: report a bug in " + FakeBackend.class.getName())
                .hasMessageContaining("nulls (USER_KERNEL): unavailable: probe() returned null");
        assertThatThrownBy(() -> registry(broken).choose("broken", STRICT, HOST))
                .isInstanceOf(BackendUnavailableException.class)
                .hasMessageContaining("boom in probe");

        List<BackendInfo> infos = registry(broken, bwrap).describe();
        assertThat(infos).extracting(BackendInfo::name).containsExactly("broken", "bubblewrap");
        assertThat(infos.get(0).availability().available()).isFalse();
        assertThat(infos.get(0).availability().reason()).contains("boom in probe");
    }

    @Test
    void aNamedUnavailableBackendGivesItsReasonAndFix() {
        FakeBackend bwrap = FakeBackend.full("bubblewrap", IsolationLevel.NAMESPACE)
                .unavailable("bwrap not found on PATH", "apt-get install -y bubblewrap");
        FakeBackend docker = FakeBackend.full("docker", IsolationLevel.CONTAINER);
        assertThatThrownBy(() -> registry(bwrap, docker).choose("bubblewrap", STRICT, HOST))
                .isInstanceOf(BackendUnavailableException.class)
                .hasMessage("backend 'bubblewrap' is not available here: bwrap not found on PATH; fix: apt-get install -y bubblewrap");
    }

    @Test
    void twoDifferentBackendsWithOneNameAreRefused() {
        SandboxBackend other = new SandboxBackend() {
            @Override
            public String name() {
                return "docker";
            }

            @Override
            public IsolationLevel isolation() {
                return IsolationLevel.CONTAINER;
            }

            @Override
            public Availability probe() {
                return Availability.available("other");
            }

            @Override
            public Set<Capability> capabilities() {
                return Set.of();
            }

            @Override
            public Duration typicalStartup() {
                return Duration.ZERO;
            }

            @Override
            public dev.sandbox4j.spi.BackendSession open(dev.sandbox4j.spi.SandboxSpec spec) {
                throw new UnsupportedOperationException("never opened");
            }
        };
        assertThatThrownBy(() -> registry(FakeBackend.full("docker", IsolationLevel.CONTAINER), other))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("two backends are named 'docker'");
    }

    @Test
    void describeListsStrongestFirstWithProbesAtMostTheTtlOld() {
        AtomicLong now = new AtomicLong();
        FakeBackend chroot = FakeBackend.full("chroot", IsolationLevel.PROCESS);
        FakeBackend qemu = FakeBackend.full("qemu", IsolationLevel.VIRTUAL_MACHINE).unavailable("no kvm", "use TCG");
        BackendRegistry r = new BackendRegistry(List.of(chroot, qemu), Duration.ofSeconds(5), now::get);
        List<BackendInfo> infos = r.describe();
        assertThat(infos).extracting(BackendInfo::name).containsExactly("qemu", "chroot");
        assertThat(infos.get(0).availability()).isEqualTo(Availability.unavailable("no kvm", "use TCG"));
        assertThat(infos.get(1).capabilities()).contains(Capability.MEMORY_LIMIT);
        r.describe();
        assertThat(chroot.probes()).as("the second describe within the TTL reuses the probe").isEqualTo(1);
        now.addAndGet(Duration.ofSeconds(5).toNanos());
        r.describe();
        assertThat(chroot.probes()).as("at the TTL the probe runs again").isEqualTo(2);
        assertThat(r.find("qemu")).containsSame(qemu);
        assertThat(r.find("nope")).isEmpty();
    }

    @Test
    void autoPassesOverAnEmulatedBackendUnlessTheOptionAllowsIt() {
        FakeBackend vm = FakeBackend.full("microvm", IsolationLevel.VIRTUAL_MACHINE)
                .probing(() -> Availability.emulated("accelerator tcg (no usable /dev/kvm)"));
        FakeBackend bwrap = FakeBackend.full("bubblewrap", IsolationLevel.NAMESPACE);
        BackendRegistry r = registry(vm, bwrap);
        assertThat(r.choose("auto", STRICT, HOST).name()).isEqualTo("bubblewrap");
        assertThat(r.choose("auto", STRICT, HOST, Map.of("auto.allowEmulated", "false")).name()).isEqualTo("bubblewrap");
        assertThat(r.choose("auto", STRICT, HOST, Map.of("auto.allowEmulated", "true")).name()).isEqualTo("microvm");
        // named, it is used without the option
        assertThat(r.choose("microvm", STRICT, HOST).name()).isEqualTo("microvm");

        // with nothing else, auto fails and says why and how to use it anyway
        assertThatThrownBy(() -> registry(vm).choose("auto", STRICT, HOST))
                .isInstanceOf(BackendUnavailableException.class)
                .hasMessageContaining("\n  microvm (VIRTUAL_MACHINE): passed over by auto: runs under software emulation,"
                        + " several times slower; name it (.backend(\"microvm\") or --backend microvm) or allow it with"
                        + " option auto.allowEmulated=true");
        // a backend at hardware speed never needs the option
        FakeBackend kvm = FakeBackend.full("qemu", IsolationLevel.VIRTUAL_MACHINE);
        assertThat(registry(kvm, bwrap).choose("auto", STRICT, HOST).name()).isEqualTo("qemu");
    }

    @Test
    void theRegistrysOptionsAreCheckedAndNeverReachABackend() {
        BackendRegistry r = registry(FakeBackend.full("bubblewrap", IsolationLevel.NAMESPACE));
        assertThatThrownBy(() -> r.choose("auto", STRICT, HOST, Map.of("auto.allowEmulated", "yes")))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageStartingWith("option auto.allowEmulated=yes: give true or false");
        assertThatThrownBy(() -> r.choose("bubblewrap", STRICT, HOST, Map.of("auto.allowEmulation", "true")))
                .isInstanceOf(InvalidInputException.class)
                .hasMessage("option auto.allowEmulation: unknown; the only option under 'auto.' is auto.allowEmulated (true or false)");
        assertThat(BackendRegistry.backendOptions(Map.of("auto.allowEmulated", "true", "vm.accel", "tcg")))
                .isEqualTo(Map.of("vm.accel", "tcg"));
        assertThatThrownBy(() -> new Availability(false, "x", "y", true))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cannot be emulated");
    }

    @Test
    void probesAreReusedWithinTheTtlAndForgottenWhenABackendTurnsOutUnavailable() {
        AtomicLong now = new AtomicLong(1_000);
        AtomicBoolean dockerUp = new AtomicBoolean(false);
        FakeBackend docker = FakeBackend.full("docker", IsolationLevel.CONTAINER).probing(() -> dockerUp.get()
                ? Availability.available("up") : Availability.unavailable("dockerd is not running", "start dockerd"));
        FakeBackend bwrap = FakeBackend.full("bubblewrap", IsolationLevel.NAMESPACE);
        BackendRegistry r = new BackendRegistry(List.of(docker, bwrap), Duration.ofSeconds(5), now::get);

        assertThat(r.choose("auto", STRICT, HOST).name()).isEqualTo("bubblewrap");
        now.addAndGet(Duration.ofMillis(4_999).toNanos());
        assertThat(r.choose("auto", STRICT, HOST).name()).isEqualTo("bubblewrap");
        assertThat(docker.probes()).as("within 5 s the first probe is reused").isEqualTo(1);
        assertThat(bwrap.probes()).isEqualTo(1);

        // the named backend is unavailable: the choice fails and forgets that probe, so that starting the
        // daemon is seen by the very next build, not 5 s later
        assertThatThrownBy(() -> r.choose("docker", STRICT, HOST)).isInstanceOf(BackendUnavailableException.class);
        assertThat(docker.probes()).isEqualTo(1);
        dockerUp.set(true);
        assertThat(r.choose("docker", STRICT, HOST).name()).isEqualTo("docker");
        assertThat(docker.probes()).isEqualTo(2);

        // a start that fails as unavailable (SandboxFactory calls forget) is probed afresh too
        r.choose("docker", STRICT, HOST);
        assertThat(docker.probes()).isEqualTo(2);
        r.forget("docker");
        r.choose("docker", STRICT, HOST);
        assertThat(docker.probes()).isEqualTo(3);

        // past the TTL everything is probed again
        now.addAndGet(Duration.ofSeconds(5).toNanos());
        assertThat(r.choose("auto", STRICT, HOST).name()).isEqualTo("docker");
        assertThat(docker.probes()).isEqualTo(4);

        // auto finding nothing forgets every probe it used
        dockerUp.set(false);
        BackendRegistry lone = new BackendRegistry(List.of(docker), Duration.ofSeconds(5), now::get);
        assertThatThrownBy(() -> lone.choose("auto", STRICT, HOST)).isInstanceOf(BackendUnavailableException.class);
        dockerUp.set(true);
        assertThat(lone.choose("auto", STRICT, HOST).name()).isEqualTo("docker");
        assertThat(docker.probes()).isEqualTo(6);

        // a TTL of zero keeps nothing
        BackendRegistry uncached = new BackendRegistry(List.of(bwrap), Duration.ZERO, now::get);
        uncached.describe();
        uncached.describe();
        assertThat(bwrap.probes()).isEqualTo(3);
    }
}
