package dev.sandbox4j.internal;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The reap that the first {@code build()} of a JVM starts in the background, so that what crashed JVMs
 * left behind (stopped containers, VM runtime dirs, cgroups, temp workspaces) goes away without anyone
 * calling {@link dev.sandbox4j.Reaper#reapLeftovers()}, as testcontainers' Ryuk does for its containers.
 * It runs once per JVM on a daemon thread, never blocks {@code build()}, and removes only what belongs
 * to sessions whose JVM has ended ({@link ReaperImpl}): a live session's resources are never touched,
 * however many JVMs reap at once. Turned off by the system property {@value #PROPERTY}{@code =false}
 * or, when that is unset, the environment variable {@value #ENV}{@code =false}. Thread-safe.
 */
public final class AutomaticReap {
    /** The system property that turns the automatic reap off ({@code false}); default {@code true}. */
    public static final String PROPERTY = "sandbox4j.autoReap";
    /** The environment variable read when {@link #PROPERTY} is unset. */
    public static final String ENV = "SANDBOX4J_AUTO_REAP";
    /** The name of the reaping thread. */
    public static final String THREAD_NAME = "sandbox4j-auto-reap";
    private static final System.Logger LOG = System.getLogger("dev.sandbox4j");
    private static final AtomicBoolean STARTED = new AtomicBoolean();

    private AutomaticReap() {
    }

    /** Starts the reap unless it was started before in this JVM or is turned off; returns at once. */
    public static void startOnce() {
        if (!enabled(System.getProperty(PROPERTY), System.getenv(ENV)) || !STARTED.compareAndSet(false, true)) {
            return;
        }
        Thread t = new Thread(AutomaticReap::run, THREAD_NAME);
        t.setDaemon(true);
        t.setPriority(Thread.MIN_PRIORITY);
        t.start();
    }

    /** Whether this JVM has started its automatic reap (it may have ended since). */
    public static boolean started() {
        return STARTED.get();
    }

    /**
     * Whether the reap is on for these settings: the property wins when set, then the environment; only
     * {@code false} (any case) turns it off, anything else is refused by name so that a typo cannot turn
     * a safety net off or on silently.
     */
    static boolean enabled(String property, String env) {
        Optional<String> setting = Optional.ofNullable(property).or(() -> Optional.ofNullable(env))
                .map(s -> s.trim().toLowerCase(Locale.ROOT));
        if (setting.isEmpty() || setting.get().equals("true")) {
            return true;
        }
        if (setting.get().equals("false")) {
            return false;
        }
        String from = property != null ? "the system property " + PROPERTY : "the environment variable " + ENV;
        throw new dev.sandbox4j.InvalidInputException(from + ": '" + setting.get()
                + "' is neither true nor false; set it to false to turn the automatic reap of dead JVMs' leftovers off");
    }

    private static void run() {
        try {
            List<String> removed = ReaperImpl.reapAll();
            for (String line : removed) {
                LOG.log(System.Logger.Level.INFO, "removed a leftover of an ended JVM: " + line);
            }
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable e) {
            LOG.log(System.Logger.Level.WARNING, "the automatic reap of ended JVMs' leftovers failed; "
                    + "Reaper.reapLeftovers() (the CLI: sandbox4j reap) retries it", e);
        }
    }
}
