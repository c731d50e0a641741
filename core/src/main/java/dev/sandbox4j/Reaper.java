package dev.sandbox4j;

import dev.sandbox4j.internal.ReaperImpl;
import java.util.List;

/**
 * Removes what the sandboxes of crashed JVMs left behind: every backend's labelled resources
 * (containers, cgroups, VM processes) and the core's own temp workspaces, whose owning JVM is gone.
 * Resources of running JVMs are never touched. Thread-safe.
 */
public final class Reaper {
    private Reaper() {
    }

    /** Reaps every backend on the class path; returns one line per thing removed. Never throws for a backend's failure. */
    public static List<String> reapLeftovers() {
        return ReaperImpl.reapAll();
    }
}
