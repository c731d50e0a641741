package dev.sandbox4j.linux.internal.seccomp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sandbox4j.SyscallPolicy;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Compiling policies with the real libseccomp (enforcement is proven in BubblewrapEscapeTest). */
class SeccompFilterTest {
    @BeforeAll
    static void needsLibseccomp() {
        assumeTrue(SeccompFilter.probe().available(), () -> "libseccomp: " + SeccompFilter.probe().reason());
    }

    /** The k operands of every BPF instruction (struct sock_filter: u16 code, u8 jt, u8 jf, u32 k). */
    private static Set<Long> constants(byte[] bpf) {
        ByteBuffer b = ByteBuffer.wrap(bpf).order(ByteOrder.nativeOrder());
        Set<Long> ks = new HashSet<>();
        for (int i = 0; i < bpf.length; i += 8) {
            ks.add(Integer.toUnsignedLong(b.getInt(i + 4)));
        }
        return ks;
    }

    @Test
    void defaultProfileCompilesToAProgramCoveringTheCompatAbis() {
        SeccompFilter.Compiled c = SeccompFilter.compile(SyscallPolicy.defaultProfile());
        assertThat(c.bpf().length).isPositive().isEqualTo(c.bpf().length / 8 * 8);
        assertThat(c.enforced()).contains("ptrace", "unshare", "mount", "setns", "bpf", "keyctl");
        assertThat(c.toString()).contains("seccomp BPF").contains("calls denied");
        if (System.getProperty("os.arch").equals("amd64")) {
            assertThat(c.arches()).containsExactly("x86_64", "x86", "x32");
            // the filter checks the audit arch of i386 (0x40000003) as well as x86_64's (0xc000003e)
            assertThat(constants(c.bpf())).contains(0x40000003L, 0xc000003eL);
        }
        // EPERM (1) as SCMP_ACT_ERRNO, and ENOSYS (38) for clone3
        assertThat(constants(c.bpf())).contains(0x00050001L, 0x00050026L);
    }

    @Test
    void killActionAndUnknownNames() {
        SeccompFilter.Compiled c = SeccompFilter.compile(
                new SyscallPolicy(Set.of("ptrace", "sandbox4j_no_such_call"), SyscallPolicy.Action.KILL));
        assertThat(c.enforced()).containsExactly("ptrace");
        assertThat(c.skipped()).containsExactly("sandbox4j_no_such_call");
        assertThat(constants(c.bpf())).contains(0x80000000L);
        assertThat(constants(c.bpf())).doesNotContain(0x00050001L);
    }

    @Test
    void anEmptyPolicyStillCompilesToAValidAllowProgram() {
        byte[] bpf = SeccompFilter.compileBpf(SyscallPolicy.allowAll());
        assertThat(bpf.length).isPositive();
        assertThat(constants(bpf)).contains(0x7fff0000L);
    }
}
