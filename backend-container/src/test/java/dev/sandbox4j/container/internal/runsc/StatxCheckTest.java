package dev.sandbox4j.container.internal.runsc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandbox4j.spi.Availability;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** How {@link StatxCheck} reads one run of GNU ls under runsc, and what it makes of a probe's availability. */
class StatxCheckTest {
    /** A stand-in binary: classify asks the broken runsc for its version, which /bin/echo answers. */
    private static final Runsc RUNSC = Runsc.find("/bin/echo").orElseThrow();

    @Test
    @DisplayName("EINVAL from GNU ls: a warning on an available backend, the way out as its fix; it stays available")
    void invalidArgumentIsTheWarning() {
        StatxCheck.Finding f = StatxCheck.classify(RUNSC, new Runsc.Result(2, "/usr/bin/ls: cannot access '/': Invalid argument"));
        assertThat(f.broken()).isTrue();
        assertThat(f.checked()).isTrue();
        assertThat(f.detail()).contains("statx", "SandboxImage.host()", "Invalid argument", "exit 2");
        Availability a = f.apply(Availability.available("runsc version x"));
        assertThat(a.available()).as("a warning, not unavailability").isTrue();
        assertThat(a.reason()).startsWith("WARNING: ").contains("answers EINVAL to statx").endsWith("; runsc version x");
        assertThat(a.fix()).contains("newer runsc", "busybox");
        Availability down = Availability.unavailable("no engine", "start it");
        assertThat(f.apply(down)).as("an unavailable backend keeps its own reason and fix").isEqualTo(down);
    }

    @Test
    @DisplayName("GNU ls runs: no warning; any other failure of runsc do: not checked, no warning")
    void otherOutcomesAddNothing() {
        Availability base = Availability.available("runsc version y");
        StatxCheck.Finding ok = StatxCheck.classify(RUNSC, new Runsc.Result(0, "/"));
        assertThat(ok.broken()).isFalse();
        assertThat(ok.checked()).isTrue();
        assertThat(ok.apply(base)).isEqualTo(base);
        StatxCheck.Finding failed = StatxCheck.classify(RUNSC, new Runsc.Result(128, "creating container: permission denied"));
        assertThat(failed.broken()).isFalse();
        assertThat(failed.checked()).isFalse();
        assertThat(failed.detail()).contains("did not run", "exit 128", "permission denied");
        assertThat(failed.apply(base)).isEqualTo(base);
    }
}
