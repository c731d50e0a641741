package dev.sandbox4j.vm.internal.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandbox4j.DataSize;
import dev.sandbox4j.InvalidInputException;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.NetworkPolicy;
import dev.sandbox4j.SandboxImage;
import dev.sandbox4j.spi.EventSink;
import dev.sandbox4j.spi.ProcessRequest;
import dev.sandbox4j.spi.SandboxSpec;
import dev.sandbox4j.vm.internal.protocol.ExecRequest;
import dev.sandbox4j.vm.internal.qemu.VmPlan;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** From a sandbox spec to the VM's size, shares and guest setup, without starting anything. */
class VmConfigTest {

    static SandboxSpec spec(IsolationPolicy p, Path ws, Map<String, String> options) {
        return new SandboxSpec("id1", "1-2-3", p, SandboxImage.host(), ws, options, EventSink.discard());
    }

    @Test
    @DisplayName("RAM is the memory limit plus the guest's share, a power of two, at least 1 GiB; vCPUs round up")
    void sizing(@TempDir Path ws) {
        assertThat(VmConfig.of(spec(IsolationPolicy.strict(), ws, Map.of()), MicrovmLauncher.OPTIONS).ramMiB()).isEqualTo(1024);
        IsolationPolicy small = IsolationPolicy.strict().toBuilder().limits(l -> l.memory(DataSize.ofMiB(96))).build();
        assertThat(VmConfig.of(spec(small, ws, Map.of()), MicrovmLauncher.OPTIONS).ramMiB()).isEqualTo(1024);
        IsolationPolicy big = IsolationPolicy.strict().toBuilder().limits(l -> l.memory(DataSize.ofGiB(2)).cpus(1.5)).build();
        VmConfig c = VmConfig.of(spec(big, ws, Map.of()), MicrovmLauncher.OPTIONS);
        assertThat(c.ramMiB()).isEqualTo(4096);
        assertThat(c.cpus()).isEqualTo(2);
        assertThat(c.init().cpuQuotaMicros()).hasValue(150_000);
        assertThat(c.init().memoryMax()).hasValue(2L << 30);
        IsolationPolicy none = IsolationPolicy.strict().toBuilder().limits(l -> l.noMemoryLimit()).build();
        assertThat(VmConfig.of(spec(none, ws, Map.of("vm.memory", "3g")), MicrovmLauncher.OPTIONS).ramMiB()).isEqualTo(3072);
    }

    @Test
    @DisplayName("shares: the host's /usr read-only, the workspace read-write, mounts as asked; tmpfs, hidden and network pass to INIT")
    void shares(@TempDir Path ws, @TempDir Path extra) {
        IsolationPolicy p = IsolationPolicy.strict().toBuilder()
                .filesystem(f -> f.readOnly(extra, "/mnt/ro").readOnly("/usr").hide("/etc/hostname"))
                .network(NetworkPolicy.loopback()).build();
        VmConfig c = VmConfig.of(spec(p, ws, Map.of()), MicrovmLauncher.OPTIONS);
        assertThat(c.shares()).containsExactly(
                new VmConfig.ShareSpec("usr", Path.of("/usr"), "/usr", true, "always"),
                new VmConfig.ShareSpec("ws", ws, "/workspace", false, "none"),
                new VmConfig.ShareSpec("m0", extra, "/mnt/ro", true, "auto"));
        assertThat(c.sandboxUid()).isEqualTo(65534);
        assertThat(c.init().loopback()).isTrue();
        assertThat(c.init().hidden()).containsExactly("/etc/hostname");
        assertThat(c.init().tmpfs()).singleElement().satisfies(t -> assertThat(t.options()).isEqualTo("size=524288k,mode=1777"));
    }

    @Test
    @DisplayName("vm.aslr: commands start at fixed addresses under TCG and randomised under KVM unless the option says otherwise")
    void addressRandomisation(@TempDir Path ws) {
        SecureRandom r = new SecureRandom();
        VmConfig byDefault = VmConfig.of(spec(IsolationPolicy.strict(), ws, Map.of()), MicrovmLauncher.OPTIONS);
        assertThat(byDefault.initNow(r, VmPlan.Accel.TCG).fixedAddresses()).isTrue();
        assertThat(byDefault.initNow(r, VmPlan.Accel.KVM).fixedAddresses()).isFalse();
        VmConfig on = VmConfig.of(spec(IsolationPolicy.strict(), ws, Map.of("vm.aslr", "true")), QemuLauncher.OPTIONS);
        assertThat(on.initNow(r, VmPlan.Accel.TCG).fixedAddresses()).isFalse();
        VmConfig off = VmConfig.of(spec(IsolationPolicy.strict(), ws, Map.of("vm.aslr", "false")), MicrovmLauncher.OPTIONS);
        assertThat(off.initNow(r, VmPlan.Accel.KVM).fixedAddresses()).isTrue();
        assertThatThrownBy(() -> VmConfig.of(spec(IsolationPolicy.strict(), ws, Map.of("vm.aslr", "yes")), MicrovmLauncher.OPTIONS))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("vm.aslr=yes").hasMessageContaining("true nor false");
    }

    @Test
    @DisplayName("bad input is refused before anything starts: unknown options, file mounts, the workspace path")
    void refusals(@TempDir Path ws) throws Exception {
        assertThatThrownBy(() -> VmConfig.of(spec(IsolationPolicy.strict(), ws, Map.of("docker.host", "x")), MicrovmLauncher.OPTIONS))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("docker.host");
        Path file = Files.writeString(ws.resolve("f"), "x");
        IsolationPolicy fileMount = IsolationPolicy.strict().toBuilder().filesystem(f -> f.readOnly(file, "/mnt/f")).build();
        assertThatThrownBy(() -> VmConfig.of(spec(fileMount, ws, Map.of()), MicrovmLauncher.OPTIONS))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("directories only");
        IsolationPolicy onWs = IsolationPolicy.strict().toBuilder().filesystem(f -> f.readOnly(ws, "/workspace")).build();
        assertThatThrownBy(() -> VmConfig.of(spec(onWs, ws, Map.of()), MicrovmLauncher.OPTIONS))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("/workspace");
    }

    @Test
    @DisplayName("EXEC carries the policy: uid, no_new_privs, dropped capabilities, rlimits and the syscall numbers")
    void execMapping() {
        IsolationPolicy p = IsolationPolicy.strict();
        ExecRequest x = ExecMapper.map(new ProcessRequest(List.of("id"), Map.of("A", "b"), "/workspace"), p, false);
        assertThat(x.uid()).hasValue(65534);
        assertThat(x.noNewPrivileges()).isTrue();
        assertThat(x.dropCapabilities()).isTrue();
        assertThat(x.keepCapabilities()).isZero();
        assertThat(x.fileSize()).hasValue(64L << 20);
        assertThat(x.openFiles()).hasValue(256);
        assertThat(x.syscalls()).contains(272, 101, 165).doesNotContainNull();
        assertThat(x.env()).containsExactly("A=b");
        assertThat(CapabilityBits.mask(java.util.Set.of("CAP_NET_BIND_SERVICE", "CAP_CHOWN"))).isEqualTo((1L << 10) | 1L);
        assertThat(SyscallTable.numbers(java.util.Set.of("no_such_call", "unshare"))).containsExactly(272);
    }
}
