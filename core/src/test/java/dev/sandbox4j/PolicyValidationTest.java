package dev.sandbox4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.Set;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every policy record refuses bad input at construction, with a message naming the field and the value. */
class PolicyValidationTest {

    private static void rejected(ThrowingCallable call, String... fragments) {
        var a = assertThatThrownBy(call).isInstanceOf(InvalidInputException.class);
        for (String f : fragments) {
            a.hasMessageContaining(f);
        }
    }

    @Test
    void mountsRejectRelativeDotDotAndNulPaths() {
        rejected(() -> Mount.readOnly(Path.of("usr/lib"), "/usr/lib"), "mount host path", "'usr/lib'", "relative");
        rejected(() -> Mount.readOnly(Path.of("/usr/../etc"), "/etc"), "mount host path", "'/usr/../etc'", "'..'");
        rejected(() -> Mount.readOnly(null, "/x"), "mount host path", "no host path");
        rejected(() -> Mount.readOnly(Path.of("/usr"), "usr"), "mount sandbox path", "'usr'", "relative");
        rejected(() -> Mount.readOnly(Path.of("/usr"), "/usr/../etc"), "mount sandbox path", "'/usr/../etc'", "'..' segment");
        rejected(() -> Mount.readOnly(Path.of("/usr"), "/usr/./lib"), "mount sandbox path", "'/usr/./lib'");
        rejected(() -> Mount.readOnly(Path.of("/usr"), "/usr//lib"), "mount sandbox path", "'/usr//lib'");
        rejected(() -> Mount.readWrite(Path.of("/usr"), "/us\0r"), "mount sandbox path", "'/us?r'", "NUL byte");
    }

    @Test
    void mountPathsAreNormalised() {
        Mount m = Mount.readWrite(Path.of("/var/./tmp/"), "/data/");
        assertThat(m.hostPath()).isEqualTo(Path.of("/var/tmp"));
        assertThat(m.sandboxPath()).isEqualTo("/data");
        assertThat(Mount.readOnly(Path.of("/"), "/").sandboxPath()).isEqualTo("/");
    }

    @Test
    void hiddenAndTmpfsRejectRelativeDotDotAndNulPaths() {
        FilesystemPolicy.Builder fs = FilesystemPolicy.isolatedView().toBuilder();
        rejected(() -> fs.hide("etc/shadow").build(), "filesystem.hidden", "'etc/shadow'", "relative");
        rejected(() -> new FilesystemPolicy(true, List.of(), List.of("/etc/../root"), List.of()),
                "filesystem.hidden", "'/etc/../root'", "'..'");
        rejected(() -> new FilesystemPolicy(true, List.of(), List.of("/etc/sh\0adow"), List.of()),
                "filesystem.hidden", "'/etc/sh?adow'", "NUL");
        rejected(() -> FilesystemPolicy.isolatedView().toBuilder().tmpfs("tmp").build(), "filesystem.tmpfs", "'tmp'", "relative");
        rejected(() -> new FilesystemPolicy(true, List.of(), List.of(), List.of("/tmp/..")), "filesystem.tmpfs", "'/tmp/..'");
        rejected(() -> new FilesystemPolicy(true, List.of(), List.of(), List.of("/t\0mp")), "filesystem.tmpfs", "NUL");
        rejected(() -> FilesystemPolicy.isolatedView().toBuilder().readOnly("relative"), "filesystem.readOnly", "'relative'");
    }

    @Test
    void theHostViewTakesNoMountsHiddenOrTmpfs() {
        rejected(() -> new FilesystemPolicy(false, List.of(), List.of(), List.of("/tmp")),
                "filesystem:", "isolated is false", "FilesystemPolicy.isolatedView()");
        // the builder turns isolation on when a path is added, so a derived copy stays consistent
        FilesystemPolicy fs = FilesystemPolicy.host().toBuilder().tmpfs("/tmp").build();
        assertThat(fs.isolated()).isTrue();
    }

    @Test
    void limitsRejectNegativeZeroAndTooSmallValues() {
        ResourceLimits.Builder l = IsolationPolicy.strict().limits().toBuilder();
        rejected(() -> l.memory(DataSize.ofMiB(1)).build(), "limits.memory", "1m", "below 4m");
        rejected(() -> IsolationPolicy.strict().limits().toBuilder().memory(DataSize.ofBytes(0)).build(), "limits.memory", "0");
        rejected(() -> IsolationPolicy.strict().limits().toBuilder().cpus(0).build(), "limits.cpus", "0.0", "more than 0");
        rejected(() -> IsolationPolicy.strict().limits().toBuilder().cpus(-1.5).build(), "limits.cpus", "-1.5");
        rejected(() -> IsolationPolicy.strict().limits().toBuilder().cpus(Double.NaN).build(), "limits.cpus", "NaN");
        rejected(() -> IsolationPolicy.strict().limits().toBuilder().pids(0).build(), "limits.pids", "0", "at least 1");
        rejected(() -> IsolationPolicy.strict().limits().toBuilder().pids(-1).build(), "limits.pids", "-1");
        rejected(() -> IsolationPolicy.strict().limits().toBuilder().wallTime(Duration.ZERO).build(), "limits.wallTime", "PT0S", "positive");
        rejected(() -> IsolationPolicy.strict().limits().toBuilder().wallTime(Duration.ofSeconds(-3)).build(), "limits.wallTime", "PT-3S");
        rejected(() -> IsolationPolicy.strict().limits().toBuilder().wallTime(null).build(), "limits.wallTime", "null");
        rejected(() -> IsolationPolicy.strict().limits().toBuilder().maxOutput(null).build(), "limits.maxOutput", "no size");
        rejected(() -> IsolationPolicy.strict().limits().toBuilder().openFiles(2).build(), "limits.openFiles", "2", "at least 3");
        rejected(() -> new ResourceLimits(null, OptionalDouble.empty(), OptionalInt.empty(), Duration.ofSeconds(1),
                DataSize.ofMiB(1), Optional.empty(), OptionalInt.empty()), "limits", "Optional.empty()");
        rejected(() -> DataSize.ofBytes(-1), "DataSize", "-1 bytes is negative");
    }

    @Test
    void limitsAcceptTheSmallestSensibleValuesAndRemovingLimits() {
        ResourceLimits l = IsolationPolicy.strict().limits().toBuilder().memory(DataSize.ofMiB(4)).cpus(0.01).pids(1)
                .openFiles(3).wallTime(Duration.ofMillis(1)).maxOutput(DataSize.ofBytes(0)).build();
        assertThat(l.memory()).contains(DataSize.ofMiB(4));
        ResourceLimits none = l.toBuilder().noMemoryLimit().noCpuLimit().noPidsLimit().noFileSizeLimit().noOpenFilesLimit().build();
        assertThat(none.memory()).isEmpty();
        assertThat(none.cpus()).isEmpty();
        assertThat(none.pids()).isEmpty();
        assertThat(none.fileSize()).isEmpty();
        assertThat(none.openFiles()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"1ABC", "A-B", "A=B", "", "A B", "É"})
    void environmentRejectsBadNames(String name) {
        rejected(() -> EnvironmentPolicy.defaults().with(name, "x"), "environment.variables", "'" + name + "'",
                "not a valid environment variable name");
        rejected(() -> EnvironmentPolicy.defaults().inheriting(name), "environment.inherit", "'" + name + "'");
    }

    @Test
    void environmentRejectsNulAndNull() {
        rejected(() -> EnvironmentPolicy.defaults().with("FOO", "a\0b"), "environment.variables.FOO", "'a?b'", "NUL");
        rejected(() -> EnvironmentPolicy.defaults().with("FOO", null), "environment.variables.FOO", "no value");
        rejected(() -> new EnvironmentPolicy(null, Set.of()), "environment", "not null");
        assertThat(EnvironmentPolicy.defaults().with("_OK1", "v").variables()).containsEntry("_OK1", "v")
                .containsEntry("HOME", "/tmp");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Ptrace", "mount;", "", "open at", "../x", "ptrace\0"})
    void syscallsRejectBadNames(String name) {
        rejected(() -> SyscallPolicy.defaultProfile().deny(name), "syscalls.denied", name.replace('\0', '?'));
    }

    @Test
    void syscallsRejectMissingParts() {
        rejected(() -> new SyscallPolicy(Set.of("ptrace"), null), "syscalls", "ERRNO or KILL");
        rejected(() -> new SyscallPolicy(null, SyscallPolicy.Action.KILL), "syscalls");
        SyscallPolicy s = SyscallPolicy.defaultProfile().allow("ptrace").deny("socket");
        assertThat(s.denied()).contains("socket").doesNotContain("ptrace");
        assertThat(SyscallPolicy.allowAll().filters()).isFalse();
    }

    @Test
    void processRejectsKeptCapabilitiesWithoutDropAndBadNames() {
        rejected(() -> new ProcessPolicy(true, OptionalInt.empty(), true, false, Set.of("CAP_CHOWN")),
                "process.keepCapabilities", "dropCapabilities is true");
        rejected(() -> new ProcessPolicy(true, OptionalInt.empty(), true, true, Set.of("NET_ADMIN")),
                "process.keepCapabilities", "'NET_ADMIN'", "CAP_NET_BIND_SERVICE");
        rejected(() -> new ProcessPolicy(true, OptionalInt.of(-1), true, true, Set.of()), "process.uid", "-1", "negative");
        rejected(() -> new ProcessPolicy(true, null, true, true, Set.of()), "process", "OptionalInt.empty()");
        assertThat(new ProcessPolicy(true, OptionalInt.of(0), true, true, Set.of("CAP_NET_BIND_SERVICE")).keepCapabilities())
                .containsExactly("CAP_NET_BIND_SERVICE");
    }

    @Test
    void networkAndPolicyRejectMissingParts() {
        rejected(() -> new NetworkPolicy(null), "network", "NetworkPolicy.none()");
        IsolationPolicy s = IsolationPolicy.strict();
        rejected(() -> new IsolationPolicy(s.filesystem(), s.network(), null, s.syscalls(), s.process(), s.environment()),
                "IsolationPolicy", "every part", "IsolationPolicy.strict().toBuilder()");
        rejected(() -> s.toBuilder().network(null).build(), "IsolationPolicy", "every part");
    }

    @Test
    void sandboxBuilderRejectsBadInputBeforeAnythingStarts() {
        rejected(() -> Sandbox.builder().policy((IsolationPolicy) null), "policy", "no policy given", "IsolationPolicy.strict()");
        rejected(() -> Sandbox.builder().image(null), "image", "SandboxImage.host()");
        rejected(() -> Sandbox.builder().listener(null), "listener", "null");
        rejected(() -> Sandbox.builder().backend("bubble\0wrap"), "backend", "'bubble?wrap'", "NUL");
        rejected(() -> Sandbox.builder().backend(null), "backend", "no value");
        rejected(() -> Sandbox.builder().workspace(Path.of("relative/ws")), "workspace", "'relative/ws'", "relative");
        rejected(() -> Sandbox.builder().workspace(Path.of("/tmp/../etc")), "workspace", "'..'");
        rejected(() -> Sandbox.builder().option("docker.host", "x\0"), "option docker.host", "NUL");
        rejected(() -> Sandbox.builder().policy(p -> p.limits(l -> l.pids(0))), "limits.pids", "0");
    }

    @Test
    void imagesRejectBadReferencesAndPaths() {
        rejected(() -> SandboxImage.oci("python 3"), "image.oci", "'python 3'");
        rejected(() -> SandboxImage.oci(""), "image.oci", "''");
        rejected(() -> SandboxImage.directory(Path.of("rootfs")), "image.directory", "'rootfs'", "relative");
        rejected(() -> SandboxImage.vm(Path.of("/boot/vmlinuz"), Path.of("/x/../initrd")), "image.vm initramfs", "'..'");
    }

    @Test
    void presetsMatchTheirDocumentedDefaults() {
        IsolationPolicy strict = IsolationPolicy.strict();
        assertThat(strict.limits().memory()).contains(DataSize.ofMiB(512));
        assertThat(strict.limits().pids()).hasValue(128);
        assertThat(strict.limits().wallTime()).isEqualTo(Duration.ofSeconds(30));
        assertThat(strict.network()).isEqualTo(NetworkPolicy.none());
        assertThat(strict.process().uid()).as("strict: the sandbox's own unprivileged user").isEmpty();
        assertThat(strict.limits().disk()).contains(DataSize.ofGiB(1));
        assertThat(IsolationPolicy.standard().process().uid()).isEmpty();
        assertThat(IsolationPolicy.standard().limits().disk()).contains(DataSize.ofGiB(10));
        assertThat(IsolationPolicy.permissive().limits().disk()).isEmpty();
        assertThat(strict.environment().variables()).isEqualTo(EnvironmentPolicy.DEFAULT_VARIABLES);
        assertThat(IsolationPolicy.standard().limits().memory()).contains(DataSize.ofGiB(2));
        IsolationPolicy permissive = IsolationPolicy.permissive();
        assertThat(permissive.limits().memory()).isEmpty();
        assertThat(permissive.limits().wallTime()).isEqualTo(Duration.ofMinutes(10));
        assertThat(permissive.syscalls().filters()).isFalse();
        assertThat(permissive.filesystem().isolated()).isFalse();
        assertThat(EnvironmentPolicy.DEFAULT_VARIABLES).isEqualTo(Map.of(
                "PATH", "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin",
                "HOME", "/tmp", "LANG", "C.UTF-8", "TERM", "dumb"));
    }
}
