package dev.sandbox4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandbox4j.BackendInfo;
import dev.sandbox4j.Command;
import dev.sandbox4j.ExecResult;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.UnsupportedPolicyException;
import dev.sandbox4j.spi.Capability;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A probe that says available tells the truth: every backend on the class path (this module has them all)
 * whose probe says available here, for the JVM's user (CI runs this class as root and as a non-root user),
 * opens a sandbox under the strongest policy it claims and runs {@code true}. A part of that policy the
 * backend refuses on this host with {@link UnsupportedPolicyException} (a limit without a writable cgroup,
 * say) is a truthful refusal, not a failed start: it is relaxed and the start tried again; any other failure
 * (the backend cannot start at all) fails the test.
 */
@Timeout(900)
class ProbeTruthTest {

    static Stream<String> availableBackends() {
        List<String> names = Sandbox.backends().stream().filter(b -> b.availability().available()).map(BackendInfo::name).toList();
        assertThat(names).as("the core's none backend is always available").contains("none");
        return names.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("availableBackends")
    void aBackendWhoseProbeSaysAvailableStarts(String name) {
        BackendInfo b = Sandbox.backends().stream().filter(x -> x.name().equals(name)).findFirst().orElseThrow();
        Assumptions.assumeTrue(b.capabilities().contains(Capability.IMAGE_HOST), name + " runs only images the caller"
                + " brings (SandboxImage.vm: a unikernel), none of which this module has; its own module's tests boot one");
        Set<Capability> claimed = EnumSet.copyOf(b.capabilities());
        List<String> relaxed = new ArrayList<>();
        for (int attempt = 0; ; attempt++) {
            IsolationPolicy policy = IsolationPolicy.strongestFor(claimed);
            try (Sandbox s = Sandbox.builder().backend(name).policy(policy).build()) {
                ExecResult r = s.exec(Command.of("true"));
                assertThat(r.exitCode()).as("%s: true exited %d (%s), having relaxed %s", name, r.exitCode(), r.stderr(), relaxed)
                        .isZero();
                System.out.println("probe truth: " + name + " started and ran true (uid " + ProcessHandle.current().info().user()
                        .orElse("?") + "); relaxed on this host: " + (relaxed.isEmpty() ? "nothing" : relaxed));
                return;
            } catch (UnsupportedPolicyException e) {
                assertThat(attempt).as("%s refuses again and again: %s", name, e.getMessage()).isLessThan(4);
                assertThat(e.parts()).as(e.getMessage()).isNotEmpty();
                for (UnsupportedPolicyException.Part p : e.parts()) {
                    Capability c = Capability.valueOf(p.capability());
                    assertThat(claimed).as("%s refused %s twice", name, p.part()).contains(c);
                    claimed.remove(c);
                    relaxed.add(p.part());
                }
            }
        }
    }
}
