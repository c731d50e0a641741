package dev.sandbox4j.linux.internal.rootfs;

import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.SandboxImage;
import dev.sandbox4j.linux.internal.host.PrivateDirs;
import dev.sandbox4j.spi.Availability;
import dev.sandbox4j.spi.BackendSession;
import dev.sandbox4j.spi.EventSink;
import dev.sandbox4j.spi.ProcessExit;
import dev.sandbox4j.spi.ProcessRequest;
import dev.sandbox4j.spi.SandboxProcess;
import dev.sandbox4j.spi.SandboxSpec;
import dev.sandbox4j.spi.TrialSpec;
import dev.sandbox4j.spi.SessionLabels;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The last step of a root-file-system backend's probe: a real sandbox, built and closed, running
 * {@code true} (what a user's first build would do), bounded in time. A host where mounts, cgroups or the
 * engine misbehave says so here, with the engine's own message, instead of at the user's first build.
 */
public final class RootfsProbe {
    private static final Duration EXEC_WAIT = Duration.ofSeconds(15);

    private RootfsProbe() {
    }

    /**
     * @param policy the probe's policy
     * @param opener opens a session for a spec
     * @return available with {@code detail}, or unavailable with what failed and {@code fix}
     */
    public static Availability run(IsolationPolicy policy, Function<SandboxSpec, BackendSession> opener, String detail,
                                   String fix) {
        BackendSession session = null;
        TrialSpec trial = null;
        try {
            trial = TrialSpec.prepare(policy);
            session = opener.apply(trial.spec());
            SandboxProcess p = session.spawn(new ProcessRequest(List.of("true"), Map.of("PATH", "/usr/bin:/bin"),
                    session.workspacePath()));
            p.stdin().close();
            String err = drain(p.stderr());
            ProcessExit exit = p.onExit().get(EXEC_WAIT.toSeconds(), TimeUnit.SECONDS);
            if (exit.exitCode() != 0) {
                return Availability.unavailable("a test sandbox could not run 'true' (exit " + exit.exitCode() + "): "
                        + err.strip(), fix);
            }
            return Availability.available(detail);
        } catch (java.util.concurrent.TimeoutException e) {
            return Availability.unavailable("a test sandbox did not run 'true' within " + EXEC_WAIT.toSeconds() + " s", fix);
        } catch (Exception | LinkageError e) {
            return Availability.unavailable("a test sandbox could not be made: " + e.getMessage(), fix);
        } finally {
            if (session != null) {
                session.close();
            }
            if (trial != null) {
                trial.close();
            }
        }
    }

    private static String drain(InputStream in) throws IOException {
        byte[] b = in.readNBytes(8192);
        in.transferTo(java.io.OutputStream.nullOutputStream());
        return new String(b, StandardCharsets.UTF_8);
    }
}
