package dev.sandbox4j.linux;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandbox4j.BackendInfo;
import dev.sandbox4j.Command;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.SandboxImage;
import dev.sandbox4j.testkit.BackendRequirement;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** {@code auto} between the NAMESPACE backends: bubblewrap where it is installed, namespaces where nothing is. */
class NamespacesAutoSelectionTest {

    /** Runs in a JVM whose PATH holds nothing (no bwrap, no systemd-nspawn): what auto picks, and a run. */
    public static final class Child {
        public static void main(String[] args) {
            // without the disk limit: the core's storage holder of a JVM that is not root runs unshare by name,
            // which this child's PATH (no bwrap on it) hides as well
            IsolationPolicy policy = TestPolicies.strict().toBuilder().limits(l -> l.noDiskLimit()).build();
            BackendInfo chosen = Sandbox.choose("auto", policy, SandboxImage.host());
            System.out.println("chosen " + chosen.name());
            try (Sandbox s = Sandbox.builder().policy(policy).build()) {
                System.out.println("ran on " + s.backend() + ": " + s.exec(Command.shell("echo hello")).stdout().strip());
            }
        }
    }

    @Test
    void bubblewrapIsPreferredWhereInstalled() {
        BackendRequirement.assumeAvailable(NamespacesBackend.NAME);
        BubblewrapBackend bwrap = new BubblewrapBackend();
        assertThat(bwrap.typicalStartup()).as("the tie-break between the two").isLessThan(new NamespacesBackend().typicalStartup());
        Assumptions.assumeTrue(bwrap.probe().available(), "bubblewrap is not installed: " + bwrap.probe().reason());
        assertThat(Sandbox.choose("auto", TestPolicies.strict(), SandboxImage.host()).name()).isNotEqualTo(NamespacesBackend.NAME);
    }

    @Test
    void namespacesIsChosenWhereNothingIsInstalled() throws Exception {
        BackendRequirement.assumeAvailable(NamespacesBackend.NAME);
        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), Child.class.getName())
                .redirectErrorStream(true);
        pb.environment().put("PATH", "/nonexistent-" + System.nanoTime());
        pb.environment().remove("SANDBOX4J_BACKEND");
        Process p = pb.start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).contains("chosen namespaces").contains("ran on namespaces: hello");
    }
}
