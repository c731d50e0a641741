package dev.sandbox4j.linux.internal.rlimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandbox4j.DataSize;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.ResourceLimits;
import dev.sandbox4j.SandboxStartException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RlimitsTest {
    @Test
    void planFromLimits() {
        ResourceLimits l = IsolationPolicy.strict().limits().toBuilder().fileSize(DataSize.ofMiB(1)).openFiles(64).build();
        assertThat(Rlimits.plan(l)).containsExactly(new Rlimits.Limit(Rlimits.Resource.FSIZE, 1 << 20),
                new Rlimits.Limit(Rlimits.Resource.NOFILE, 64));
        assertThat(Rlimits.plan(l, true)).contains(new Rlimits.Limit(Rlimits.Resource.NPROC, 128));
        assertThat(Rlimits.prlimitArgs(Rlimits.plan(l))).containsExactly("--fsize=1048576:1048576", "--nofile=64:64");
        assertThat(Rlimits.plan(ResourceLimits.unlimited())).isEmpty();
    }

    @Test
    void parsesProcSelfLimits() {
        Map<String, Long> hard = Rlimits.parseHard(List.of(
                "Limit                     Soft Limit           Hard Limit           Units     ",
                "Max file size             unlimited            unlimited            bytes     ",
                "Max processes             96365                96365                processes ",
                "Max open files            1024                 20000                files     "));
        assertThat(hard).containsEntry("Max open files", 20000L).containsEntry("Max processes", 96365L)
                .doesNotContainKey("Max file size");
    }

    @Test
    void aLimitAboveTheHardLimitIsRefusedUnlessItCanBeRaised() {
        Long hard = Rlimits.hardLimits().get("Max open files");
        org.junit.jupiter.api.Assumptions.assumeTrue(hard != null && hard < Integer.MAX_VALUE, "RLIMIT_NOFILE is unlimited here");
        List<Rlimits.Limit> above = List.of(new Rlimits.Limit(Rlimits.Resource.NOFILE, hard + 1));
        if (Rlimits.hasCapSysResource()) {
            Rlimits.checkEnforceable(above);
            return;
        }
        assertThatThrownBy(() -> Rlimits.checkEnforceable(above)).isInstanceOf(SandboxStartException.class)
                .hasMessageContaining("limits.openFiles=" + (hard + 1)).hasMessageContaining("RLIMIT_NOFILE=" + hard)
                .hasMessageContaining("CAP_SYS_RESOURCE");
        Rlimits.checkEnforceable(List.of(new Rlimits.Limit(Rlimits.Resource.NOFILE, hard)));
    }
}
