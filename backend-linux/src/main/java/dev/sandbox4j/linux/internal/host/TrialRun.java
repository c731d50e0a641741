package dev.sandbox4j.linux.internal.host;

import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.SandboxException;
import dev.sandbox4j.spi.BackendSession;
import dev.sandbox4j.spi.ProcessExit;
import dev.sandbox4j.spi.ProcessRequest;
import dev.sandbox4j.spi.SandboxProcess;
import dev.sandbox4j.spi.SandboxSpec;
import dev.sandbox4j.spi.TrialSpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * A backend's probe: {@code true} run in a trial sandbox whose host side the core prepared exactly as a real
 * sandbox's ({@link TrialSpec}: its own host ids, a fresh workspace, pinned paths), through the backend's own
 * session, so that the probe proves what a sandbox needs here (user namespaces, the launcher, the seccomp
 * program, idmapped mounts). Stateless.
 */
public final class TrialRun {
    /** The trial's policy: strict, without the limits that need cgroups or a disk storage (reported apart). */
    public static final IsolationPolicy POLICY = IsolationPolicy.strict().toBuilder()
            .limits(l -> l.noMemoryLimit().noCpuLimit().noPidsLimit().noDiskLimit()).build();

    private TrialRun() {
    }

    /**
     * Runs {@code true} in a session that {@code open} makes from a trial spec, then closes both.
     *
     * @return empty when it exited 0 within {@code limit}; else what went wrong (an exception's message, or the
     *         exit status and stderr)
     */
    public static Optional<String> run(Function<SandboxSpec, BackendSession> open, Duration limit) {
        try (TrialSpec trial = TrialSpec.prepare(POLICY)) {
            BackendSession session = open.apply(trial.spec());
            try {
                SandboxProcess p = session.spawn(new ProcessRequest(List.of("true"), Map.of("PATH", "/usr/bin:/bin"),
                        session.workspacePath()));
                p.stdin().close();
                ProcessExit exit = p.onExit().get(limit.toMillis(), TimeUnit.MILLISECONDS);
                String err = read(p.stderr());
                return exit.exitCode() == 0 ? Optional.empty()
                        : Optional.of("`true` exited " + exit.exitCode() + (err.isBlank() ? "" : ": " + err.strip()));
            } finally {
                session.close();
            }
        } catch (SandboxException | IllegalStateException | IOException e) {
            return Optional.of(String.valueOf(e.getMessage()));
        } catch (TimeoutException e) {
            return Optional.of("`true` did not finish within " + limit.toSeconds() + " s");
        } catch (ExecutionException e) {
            return Optional.of(String.valueOf(e.getCause()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of("interrupted while probing");
        }
    }

    private static String read(InputStream in) throws IOException {
        return new String(in.readNBytes(2048), StandardCharsets.UTF_8);
    }
}
