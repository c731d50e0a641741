package dev.sandbox4j;

import dev.sandbox4j.internal.ReaperImpl;
import java.util.List;

/**
 * Removes what the sandboxes of crashed JVMs left behind: every backend's labelled resources
 * (containers, cgroups, VM processes) and the core's own temp workspaces, whose owning JVM is gone.
 * Resources of running JVMs are never touched. Thread-safe.
 *
 * <p>Nobody has to call it: the first {@code build()} of every JVM starts the same reap once on a
 * background daemon thread ({@code sandbox4j-auto-reap}), which never blocks the build. The system
 * property {@code sandbox4j.autoReap=false} (or, when it is unset, the environment variable
 * {@code SANDBOX4J_AUTO_REAP=false}) turns that off; any other value than {@code true} or {@code false}
 * is refused at {@code build()}.
 */
public final class Reaper {
    private Reaper() {
    }

    /** Reaps every backend on the class path; returns one line per thing removed. Never throws for a backend's failure. */
    public static List<String> reapLeftovers() {
        return ReaperImpl.reapAll();
    }

    /** Whether this JVM has started its automatic background reap (it may have finished since). */
    public static boolean automaticReapStarted() {
        return dev.sandbox4j.internal.AutomaticReap.started();
    }
}
