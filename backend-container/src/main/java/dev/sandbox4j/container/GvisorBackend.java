package dev.sandbox4j.container;

import dev.sandbox4j.container.internal.ContainerBackendSupport;
import dev.sandbox4j.container.internal.EngineKind;
import dev.sandbox4j.InvalidInputException;
import dev.sandbox4j.container.internal.runsc.DaemonlessGvisor;
import dev.sandbox4j.container.internal.runsc.Runsc;
import dev.sandbox4j.container.internal.runsc.StatxCheck;
import dev.sandbox4j.spi.Availability;
import dev.sandbox4j.spi.BackendSession;
import dev.sandbox4j.spi.Capability;
import dev.sandbox4j.spi.IsolationLevel;
import dev.sandbox4j.spi.SandboxBackend;
import dev.sandbox4j.spi.SandboxSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code gvisor} backend (isolation USER_KERNEL): sandboxed code talks to gVisor's user-space kernel
 * ({@code runsc}), never to the host kernel directly. Two paths, one set of claims:
 *
 * <ul>
 *   <li><b>engine</b>: the {@link DockerBackend}'s containers with runsc as the Docker engine's OCI runtime.
 *       Engine: the builder option {@code gvisor.host}, else as for {@link DockerBackend}; the runtime is
 *       {@code runsc} (option {@code gvisor.runtime} names another), which {@link #probe()} requires to be
 *       registered with {@code --network=none} or {@code host} and {@code --oci-seccomp}.</li>
 *   <li><b>runsc</b> (daemonless): runsc run directly on an OCI bundle made by the library, when no engine
 *       is there; the binary is {@code runsc} on the PATH (option {@code gvisor.runsc} names another). Takes
 *       {@link dev.sandbox4j.SandboxImage#host()} and {@code rootfs(tarball)}; an OCI reference fails to
 *       start with the fix. The same path alone, with its fuller claims, is the {@link GvisorRunscBackend}
 *       ({@code gvisor-runsc}).</li>
 * </ul>
 *
 * <p>Option {@code gvisor.mode}: {@code auto} (the default: the engine path when {@code gvisor.host} is given or
 * an engine with the runsc runtime answers the probe, else the daemonless path), {@code engine} or
 * {@code runsc}. {@link #probe()} is available when either path is.
 *
 * <p>Claims (static, so those of the weaker path, the engine's): the host's network is not offered (no
 * NETWORK_HOST). The seccomp filter of the sandbox's system-call table is installed on every sandbox: on
 * the engine path runsc applies the OCI profile to the container's init only, so every exec'd command runs
 * under a small static helper of this module that puts the same table (libseccomp's program, exact
 * errnos) on itself before it executes the command. Every sandbox runs as its own host uid (no
 * RUN_AS_UID); {@code limits.disk} is enforced with the core's storage (a root JVM). A memory limit is enforced on the whole
 * sandbox (gVisor's kernel included): a command that exceeds it gets the sandbox OOM-killed, and the
 * backend reports a limits.memory violation, ends the command with 137 and makes the sandbox again (the
 * workspace survives, tmpfs contents and running processes do not). Every gVisor sandbox runs with no
 * capabilities and no-new-privileges, whatever the policy asks; the two are claimed by
 * {@code gvisor-runsc} only, where the contract kit checks them. A pids limit is not offered by either path
 * (no PIDS_LIMIT): this gVisor has no pids controller of its own, and the host's pids cgroup, which also
 * counts gVisor's own threads, stops the whole sandbox when reached instead of failing a fork; a policy
 * with {@code limits.pids} is refused at build(). A timeout kills the command's tree with the static
 * {@code s4j-kill-tree} helper (a second exec, under the filter); when that does not end within 1.2 s the engine
 * kills the whole container, which the next command starts again; a command's {@code kill -9 -1} stops the
 * container the same way (the exec ends at once; a progress event "sandbox restart"). Thread-safe; stateless.
 */
public final class GvisorBackend implements SandboxBackend {
    static final String MODE_OPTION = "gvisor.mode";
    private static final Set<String> OWN_OPTIONS = Set.of(MODE_OPTION, DaemonlessGvisor.RUNSC_OPTION);
    private static final Set<String> ENGINE_OPTIONS = Set.of("gvisor.host", "gvisor.runtime");

    private final ContainerBackendSupport support = new ContainerBackendSupport(EngineKind.GVISOR);

    @Override
    public String name() {
        return "gvisor";
    }

    @Override
    public IsolationLevel isolation() {
        return support.kind().isolation();
    }

    /**
     * The engine path when it is available, else the daemonless one; unavailable with both reasons. An available
     * one carries {@link StatxCheck}'s warning (reason) and way out (fix) when the runsc fails the host image's GNU
     * tools.
     */
    @Override
    public Availability probe() {
        Availability engine = support.probe();
        if (engine.available()) {
            // the engine's runtime is registered as runsc: the one on the PATH is checked (once per JVM)
            return Runsc.find(Runsc.DEFAULT).map(r -> StatxCheck.of(r).apply(engine)).orElse(engine);
        }
        Availability runsc = DaemonlessGvisor.probe(Runsc.DEFAULT);
        if (runsc.available()) {
            return new Availability(true, runsc.reason() + "; no engine path (" + engine.reason() + ")", runsc.fix());
        }
        return Availability.unavailable("no Docker engine with the runsc runtime (" + engine.reason()
                + "), and runsc cannot run without one (" + runsc.reason() + ")", engine.fix() + "; or, without an engine: "
                + runsc.fix());
    }

    @Override
    public Set<Capability> capabilities() {
        return support.kind().capabilities();
    }

    @Override
    public Duration typicalStartup() {
        return support.kind().typicalStartup();
    }

    @Override
    public BackendSession open(SandboxSpec spec) {
        String mode = spec.options().getOrDefault(MODE_OPTION, "auto");
        String runsc = spec.options().getOrDefault(DaemonlessGvisor.RUNSC_OPTION, Runsc.DEFAULT);
        boolean engine = switch (mode) {
            case "engine" -> true;
            case "runsc" -> false;
            case "auto" -> spec.options().containsKey("gvisor.host") || support.probe().available();
            default -> throw new InvalidInputException("option " + MODE_OPTION + "='" + mode + "' is not a mode of the"
                    + " gvisor backend; use auto (the default), engine (runsc as a Docker engine's runtime) or runsc"
                    + " (runsc without an engine)");
        };
        if (engine) {
            Map<String, String> options = new HashMap<>(spec.options());
            options.keySet().removeAll(OWN_OPTIONS);
            return support.open(new SandboxSpec(spec.sandboxId(), spec.sessionLabel(), spec.policy(), spec.image(),
                    spec.workspace(), options, spec.events(), spec.host()));
        }
        for (String key : spec.options().keySet()) {
            if (key.startsWith("gvisor.") && !OWN_OPTIONS.contains(key)) {
                throw new InvalidInputException("option '" + key + "' is not one the gvisor backend takes without an"
                        + " engine (gvisor.mode=" + mode + "); it takes: " + MODE_OPTION + ", " + DaemonlessGvisor.RUNSC_OPTION
                        + (ENGINE_OPTIONS.contains(key) ? "; for the engine path set " + MODE_OPTION + "=engine" : ""));
            }
        }
        return DaemonlessGvisor.open(spec, runsc);
    }

    /** Reaps both paths: the engine's labelled containers and the daemonless sandboxes' directories and cgroups. */
    @Override
    public List<String> reap() {
        List<String> removed = new ArrayList<>(support.reap());
        removed.addAll(DaemonlessGvisor.reap(Runsc.DEFAULT));
        return removed;
    }
}
