package dev.sandbox4j.benchmarks.support;

import dev.sandbox4j.Command;
import dev.sandbox4j.ExecResult;
import dev.sandbox4j.InvalidInputException;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.SandboxBuilder;
import dev.sandbox4j.spi.SandboxBackend;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Opens sandboxes the way every benchmark does: the target's backend, under {@link Policies#strongestFor}
 * its capabilities, the default image ({@code SandboxImage.host()}), the target's options. Looks the
 * backend up through ServiceLoader (capabilities do not depend on the host, so no probe is needed here:
 * the run script probed every backend before the run). Thread-safe.
 */
public final class Sandboxes {
    private static final Map<String, IsolationPolicy> POLICIES = new ConcurrentHashMap<>();

    private Sandboxes() {
    }

    /** The backend named {@code name} on the class path. */
    public static SandboxBackend backend(String name) {
        for (SandboxBackend b : ServiceLoader.load(SandboxBackend.class)) {
            if (b.name().equals(name)) {
                return b;
            }
        }
        throw new InvalidInputException("benchmark: no backend named '" + name + "' on the class path; "
                + "`java -cp benchmarks.jar dev.sandbox4j.benchmarks.BackendList` lists them");
    }

    /** The policy {@code target} runs under. */
    public static IsolationPolicy policy(Target target) {
        return POLICIES.computeIfAbsent(target.backend(), n -> Policies.strongestFor(backend(n).capabilities()));
    }

    public static SandboxBuilder builder(Target target) {
        SandboxBuilder b = Sandbox.builder().backend(target.backend()).policy(policy(target));
        target.options().forEach(b::option);
        return b;
    }

    public static Sandbox open(Target target) {
        return builder(target).build();
    }

    /** Runs {@code command} and fails unless it exited 0: a failing command must never count as a fast one. */
    public static ExecResult execOk(Sandbox sandbox, Command command) {
        ExecResult r = sandbox.exec(command);
        if (!r.succeeded()) {
            throw new IllegalStateException(command + " in " + sandbox.backend() + " failed: exit " + r.exitCode()
                    + (r.timedOut() ? " (timed out)" : "") + ", stderr: " + r.stderr().strip());
        }
        return r;
    }
}
