package dev.sandbox4j.vm.internal.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import dev.sandbox4j.DataSize;
import dev.sandbox4j.InvalidInputException;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.NetworkPolicy;
import dev.sandbox4j.SandboxImage;
import dev.sandbox4j.ProcessPolicy;
import dev.sandbox4j.SyscallPolicy;
import dev.sandbox4j.spi.HostIds;
import dev.sandbox4j.spi.PinnedPath;
import dev.sandbox4j.spi.ProcessRequest;
import dev.sandbox4j.spi.SandboxSpec;
import dev.sandbox4j.spi.SeccompProgram;
import dev.sandbox4j.spi.SyscallTable;
import dev.sandbox4j.testkit.TestSpecs;
import dev.sandbox4j.vm.internal.protocol.ExecRequest;
import dev.sandbox4j.vm.internal.qemu.VmPlan;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** From a sandbox spec to the VM's size, shares and guest setup, without starting anything. */
class VmConfigTest {

    static final Optional<PinnedPath> USR = Optional.of(PinnedPath.pin(Path.of("/usr"), "test /usr"));

    static SandboxSpec spec(IsolationPolicy p, Path ws, Map<String, String> options) {
        return TestSpecs.spec("id1", p, SandboxImage.host(), ws, options, new HostIds(1879048200, 1879048200, true));
    }

    static VmConfig config(SandboxSpec spec, java.util.Set<String> options) {
        return VmConfig.of(spec, options, USR);
    }

    @Test
    @DisplayName("RAM is the memory limit plus the guest's share, a power of two, at least 1 GiB; vCPUs round up")
    void sizing(@TempDir Path ws) {
        assertThat(config(spec(IsolationPolicy.strict(), ws, Map.of()), MicrovmLauncher.OPTIONS).ramMiB()).isEqualTo(1024);
        IsolationPolicy small = IsolationPolicy.strict().toBuilder().limits(l -> l.memory(DataSize.ofMiB(96))).build();
        assertThat(config(spec(small, ws, Map.of()), MicrovmLauncher.OPTIONS).ramMiB()).isEqualTo(1024);
        IsolationPolicy big = IsolationPolicy.strict().toBuilder().limits(l -> l.memory(DataSize.ofGiB(2)).cpus(1.5)).build();
        VmConfig c = config(spec(big, ws, Map.of()), MicrovmLauncher.OPTIONS);
        assertThat(c.ramMiB()).isEqualTo(4096);
        assertThat(c.cpus()).isEqualTo(2);
        assertThat(c.init().cpuQuotaMicros()).hasValue(150_000);
        assertThat(c.init().memoryMax()).hasValue(2L << 30);
        IsolationPolicy none = IsolationPolicy.strict().toBuilder().limits(l -> l.noMemoryLimit()).build();
        assertThat(config(spec(none, ws, Map.of("vm.memory", "3g")), MicrovmLauncher.OPTIONS).ramMiB()).isEqualTo(3072);
    }

    @Test
    @DisplayName("shares: the host's /usr read-only, the workspace read-write, mounts as asked; tmpfs, hidden and network pass to INIT")
    void shares(@TempDir Path ws, @TempDir Path extra) {
        IsolationPolicy p = IsolationPolicy.strict().toBuilder()
                .filesystem(f -> f.readOnly(extra, "/mnt/ro").readOnly("/usr").hide("/etc/hostname"))
                .network(NetworkPolicy.loopback()).build();
        VmConfig c = config(spec(p, ws, Map.of()), MicrovmLauncher.OPTIONS);
        assertThat(c.shares()).extracting(VmConfig.ShareSpec::tag, VmConfig.ShareSpec::hostPath, VmConfig.ShareSpec::guestPath,
                VmConfig.ShareSpec::readOnly, VmConfig.ShareSpec::cache).containsExactly(
                tuple("usr", Path.of("/usr"), "/usr", true, "always"),
                tuple("ws", ws, "/workspace", false, "none"),
                tuple("m0", extra, "/mnt/ro", true, "auto"));
        // the shares are pinned paths: virtiofsd gets their engine sources (here, unstaged, the paths themselves)
        assertThat(c.shares().get(1).engineSource()).isEqualTo(ws);
        assertThat(c.sandboxUid()).as("no uid in the policy: the sandbox's own user, 65534 in the guest").isEqualTo(65534);
        assertThat(c.hostIds().uid()).isEqualTo(1879048200);
        assertThat(c.init().loopback()).isTrue();
        assertThat(c.init().hidden()).containsExactly("/etc/hostname");
        assertThat(c.init().tmpfs()).as("strict's /tmp and /var/tmp").hasSize(2)
                .allSatisfy(t -> assertThat(t.options()).isEqualTo("size=524288k,mode=1777"));
    }

    @Test
    @DisplayName("vm.aslr: commands start at fixed addresses under TCG and randomised under KVM unless the option says otherwise")
    void addressRandomisation(@TempDir Path ws) {
        SecureRandom r = new SecureRandom();
        VmConfig byDefault = config(spec(IsolationPolicy.strict(), ws, Map.of()), MicrovmLauncher.OPTIONS);
        assertThat(byDefault.initNow(r, VmPlan.Accel.TCG).fixedAddresses()).isTrue();
        assertThat(byDefault.initNow(r, VmPlan.Accel.KVM).fixedAddresses()).isFalse();
        VmConfig on = config(spec(IsolationPolicy.strict(), ws, Map.of("vm.aslr", "true")), QemuLauncher.OPTIONS);
        assertThat(on.initNow(r, VmPlan.Accel.TCG).fixedAddresses()).isFalse();
        VmConfig off = config(spec(IsolationPolicy.strict(), ws, Map.of("vm.aslr", "false")), MicrovmLauncher.OPTIONS);
        assertThat(off.initNow(r, VmPlan.Accel.KVM).fixedAddresses()).isTrue();
        assertThatThrownBy(() -> config(spec(IsolationPolicy.strict(), ws, Map.of("vm.aslr", "yes")), MicrovmLauncher.OPTIONS))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("vm.aslr=yes").hasMessageContaining("true nor false");
    }

    @Test
    @DisplayName("bad input is refused before anything starts: unknown options, file mounts, the workspace path")
    void refusals(@TempDir Path ws) throws Exception {
        assertThatThrownBy(() -> config(spec(IsolationPolicy.strict(), ws, Map.of("docker.host", "x")), MicrovmLauncher.OPTIONS))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("docker.host");
        Path file = Files.writeString(ws.resolve("f"), "x");
        IsolationPolicy fileMount = IsolationPolicy.strict().toBuilder().filesystem(f -> f.readOnly(file, "/mnt/f")).build();
        assertThatThrownBy(() -> config(spec(fileMount, ws, Map.of()), MicrovmLauncher.OPTIONS))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("directories only");
        IsolationPolicy onWs = IsolationPolicy.strict().toBuilder().filesystem(f -> f.readOnly(ws, "/workspace")).build();
        assertThatThrownBy(() -> config(spec(onWs, ws, Map.of()), MicrovmLauncher.OPTIONS))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("/workspace");
    }

    @Test
    @DisplayName("EXEC carries the policy: uid, no_new_privs, dropped capabilities, rlimits and the one syscall table's program")
    void execMapping() {
        IsolationPolicy p = IsolationPolicy.strict();
        byte[] bpf = GuestFilter.forPolicy(p);
        ExecRequest x = ExecMapper.map(new ProcessRequest(List.of("id"), Map.of("A", "b"), "/workspace"), p, bpf, false);
        assertThat(x.uid()).as("no uid in the policy: the sandbox's own user, 65534 in the guest").hasValue(65534);
        assertThat(x.noNewPrivileges()).isTrue();
        assertThat(x.dropCapabilities()).isTrue();
        assertThat(x.keepCapabilities()).isZero();
        assertThat(x.fileSize()).hasValue(64L << 20);
        assertThat(x.openFiles()).hasValue(256);
        assertThat(x.seccomp()).isEqualTo(bpf);
        assertThat(x.env()).containsExactly("A=b");
        assertThat(CapabilityBits.mask(java.util.Set.of("CAP_NET_BIND_SERVICE", "CAP_CHOWN"))).isEqualTo((1L << 10) | 1L);
        IsolationPolicy root = p.toBuilder().process(new ProcessPolicy(true, OptionalInt.of(0), true, true, Set.of())).build();
        assertThat(ExecMapper.map(new ProcessRequest(List.of("id"), Map.of(), "/"), root, bpf, false).uid()).hasValue(0);
    }

    @Test
    @DisplayName("the guest's program is the one syscall table: the guard and the vsock rule even without a policy filter")
    void guestProgramFromTheOneTable() {
        IsolationPolicy noFilter = IsolationPolicy.strict().toBuilder().syscalls(SyscallPolicy.allowAll()).build();
        SeccompProgram strict = SeccompProgram.compile(SyscallTable.forSandbox(IsolationPolicy.strict()), SeccompProgram.Target.X86_64);
        assertThat(GuestFilter.forPolicy(IsolationPolicy.strict())).isEqualTo(strict.bpf());
        SeccompProgram bare = SeccompProgram.compile(SyscallTable.forSandbox(noFilter), SeccompProgram.Target.X86_64);
        assertThat(GuestFilter.forPolicy(noFilter)).isEqualTo(bare.bpf());
        assertThat(String.join("\n", bare.enforced())).contains("chmod").contains("io_uring_setup").contains("socket")
                .doesNotContain("unshare");
        assertThat(bare.arches()).containsExactly("x86_64");
    }
}
