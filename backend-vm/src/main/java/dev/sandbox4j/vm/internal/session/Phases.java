package dev.sandbox4j.vm.internal.session;

import java.util.ArrayList;
import java.util.List;

/**
 * The durations of a VM start's steps, for the start note that tells a user where the time went
 * ("QEMU start 38 ms, load 9 ms, ..."). Not thread-safe, except {@link #since}.
 */
final class Phases {
    private final long start = System.nanoTime();
    private final List<String> steps = new ArrayList<>();
    private long last = start;

    /** Ends the step that began at the previous mark (or at creation). */
    void mark(String step) {
        long now = System.nanoTime();
        steps.add(step + " " + (now - last) / 1_000_000 + " ms");
        last = now;
    }

    /** Milliseconds since creation; safe from any thread. */
    long since() {
        return (System.nanoTime() - start) / 1_000_000;
    }

    long total() {
        return (last - start) / 1_000_000;
    }

    @Override
    public String toString() {
        return String.join(", ", steps);
    }
}
