package dev.sandbox4j.internal.none;

import dev.sandbox4j.InvalidInputException;
import dev.sandbox4j.spi.Availability;
import dev.sandbox4j.spi.BackendSession;
import dev.sandbox4j.spi.Capability;
import dev.sandbox4j.spi.IsolationLevel;
import dev.sandbox4j.spi.SandboxBackend;
import dev.sandbox4j.spi.SandboxSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The {@code none} backend: plain host processes, no isolation at all. For trusted code, tests and
 * baselines; {@code auto} never picks it.
 *
 * <p>It enforces what the core enforces for every backend (the timeout, output caps, the exact
 * environment, the working directory and killing the process tree) and claims nothing else:
 * {@link Capability#NETWORK_HOST} and {@link Capability#IMAGE_HOST} only (besides
 * {@link Capability#KEEP_BACKGROUND}: a background process is a plain host process that later commands
 * reach), so a policy that asks for anything more (an isolated file system, a memory limit...) is refused
 * at {@code build()}.
 *
 * <p>Process trees: each command leads its own session (through {@code setsid} where installed), and a
 * kill takes the root, its descendants and every process of its session. A process that double-forks
 * and calls {@code setsid()} itself escapes to init and survives close(): {@code none} does not claim
 * {@link Capability#CONTAIN_DAEMONS}. Commands run as the JVM's user. Takes no options. Thread-safe.
 */
public final class NoneBackend implements SandboxBackend {
    public static final String NAME = "none";

    private static final Set<Capability> CAPABILITIES =
            Collections.unmodifiableSet(EnumSet.of(Capability.NETWORK_HOST, Capability.KEEP_BACKGROUND, Capability.IMAGE_HOST));

    public NoneBackend() {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public IsolationLevel isolation() {
        return IsolationLevel.NONE;
    }

    @Override
    public Availability probe() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        if (os.contains("linux") || os.contains("mac")) {
            return Availability.available("plain host processes, no isolation");
        }
        return Availability.unavailable("the none backend runs on Linux and macOS only; this is "
                + System.getProperty("os.name"), "run on Linux or macOS");
    }

    @Override
    public Set<Capability> capabilities() {
        return CAPABILITIES;
    }

    @Override
    public Duration typicalStartup() {
        return Duration.ofMillis(1);
    }

    @Override
    public BackendSession open(SandboxSpec spec) {
        if (!spec.options().isEmpty()) {
            throw new InvalidInputException("backend none takes no options, but got " + spec.options().keySet()
                    + "; remove them");
        }
        return new NoneSession(spec.workspace(), setsid());
    }

    /** util-linux's setsid, which gives each command its own session; absent on macOS. */
    private static Optional<Path> setsid() {
        return Stream.of("/usr/bin/setsid", "/bin/setsid").map(Path::of).filter(Files::isExecutable).findFirst();
    }
}
