package dev.sandbox4j.internal.none;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandbox4j.InvalidInputException;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.SandboxImage;
import dev.sandbox4j.spi.BackendSession;
import dev.sandbox4j.spi.Capability;
import dev.sandbox4j.spi.EventSink;
import dev.sandbox4j.spi.IsolationLevel;
import dev.sandbox4j.spi.ProcessExit;
import dev.sandbox4j.spi.ProcessRequest;
import dev.sandbox4j.spi.SandboxProcess;
import dev.sandbox4j.spi.SandboxSpec;
import dev.sandbox4j.spi.SessionLabels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import dev.sandbox4j.testkit.TestSpecs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/** The none backend's SPI side: what it declares, and its sessions' processes. */
@EnabledOnOs(OS.LINUX)
class NoneBackendTest {
    @TempDir
    Path ws;

    private BackendSession session(Map<String, String> options) {
        return new NoneBackend().open(TestSpecs.spec("t1", IsolationPolicy.permissive(), SandboxImage.host(), ws, options));
    }

    @Test
    void declaresNoIsolationAndOnlyHostNetworkAndHostImage() {
        NoneBackend b = new NoneBackend();
        assertThat(b.name()).isEqualTo("none");
        assertThat(b.isolation()).isEqualTo(IsolationLevel.NONE);
        assertThat(b.capabilities()).containsExactlyInAnyOrder(Capability.NETWORK_HOST, Capability.KEEP_BACKGROUND, Capability.IMAGE_HOST);
        assertThat(b.probe().available()).isTrue();
        assertThat(b.probe().reason()).contains("no isolation");
    }

    @Test
    void refusesOptions() {
        assertThatThrownBy(() -> session(Map.of("x", "y"))).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("takes no options");
    }

    @Test
    void passesExactlyTheRequestedEnvironmentAndDirectory() throws Exception {
        try (BackendSession s = session(Map.of())) {
            assertThat(s.workspacePath()).isEqualTo(ws.toAbsolutePath().normalize().toString());
            SandboxProcess p = s.spawn(new ProcessRequest(List.of("sh", "-c", "env; pwd"),
                    Map.of("PATH", "/usr/bin:/bin", "ONLY", "this"), s.workspacePath()));
            p.stdin().close();
            String out = new String(p.stdout().readAllBytes(), StandardCharsets.UTF_8);
            ProcessExit exit = p.onExit().get(60, TimeUnit.SECONDS);
            assertThat(exit.exitCode()).isZero();
            // sh adds PWD and SHLVL of its own; nothing of the JVM's environment passes
            assertThat(out).contains("ONLY=this\n", "PATH=/usr/bin:/bin\n").doesNotContain("SANDBOX4J_TEST")
                    .doesNotContain("JAVA_HOME").endsWith(s.workspacePath() + "\n");
        }
    }

    @Test
    void aProgramThatIsNotExecutableIs126() throws Exception {
        Path script = Files.writeString(ws.resolve("script"), "#!/bin/sh\necho hi\n");
        try (BackendSession s = session(Map.of())) {
            SandboxProcess p = s.spawn(new ProcessRequest(List.of("./script"), Map.of(), s.workspacePath()));
            assertThat(p.onExit().get().exitCode()).isEqualTo(126);
            assertThat(new String(p.stderr().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("./script: Permission denied\n");
            assertThat(script).exists();
        }
    }

    @Test
    void eachCommandLeadsItsOwnSessionSoOrphansCanBeFound() throws Exception {
        try (BackendSession s = session(Map.of())) {
            SandboxProcess p = s.spawn(new ProcessRequest(List.of("sh", "-c", "ps -o sid= -p $$; echo $$"),
                    Map.of("PATH", "/usr/bin:/bin"), s.workspacePath()));
            String[] out = new String(p.stdout().readAllBytes(), StandardCharsets.UTF_8).trim().split("\\s+");
            p.onExit().get(60, TimeUnit.SECONDS);
            assertThat(out[0]).isEqualTo(out[1]);
        }
    }

    @Test
    void closeKillsEveryTreeAndRefusesNewProcesses() throws Exception {
        BackendSession s = session(Map.of());
        SandboxProcess p = s.spawn(new ProcessRequest(List.of("sh", "-c", "sleep 60 & echo $!; exec sleep 60"),
                Map.of("PATH", "/usr/bin:/bin"), s.workspacePath()));
        byte[] line = new byte[32];
        int n = p.stdout().read(line);
        long child = Long.parseLong(new String(line, 0, n, StandardCharsets.UTF_8).trim());
        assertThat(ProcTestSupport.alive(child)).isTrue();
        s.close();
        s.close();
        assertThat(p.onExit().get(60, TimeUnit.SECONDS).signal()).hasValue(9);
        assertThat(ProcTestSupport.alive(child)).isFalse();
        assertThatThrownBy(() -> s.spawn(new ProcessRequest(List.of("true"), Map.of(), ws.toString())))
                .isInstanceOf(dev.sandbox4j.ExecException.class).hasMessageContaining("closed");
    }
}
