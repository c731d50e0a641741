package dev.sandbox4j.spi;

/** Where a backend reports what it sees; thread-safe, never throws. */
public interface EventSink {
    /** The policy was broken: {@code rule} names the part ("limits.memory"), {@code detail} what happened. */
    void violation(String rule, String detail);

    /** A slow step is under way (an image pull, a snapshot build). */
    void progress(String step, String detail);

    /** A sink that drops everything, for tests and tools. */
    static EventSink discard() {
        return new EventSink() {
            @Override
            public void violation(String rule, String detail) {
            }

            @Override
            public void progress(String step, String detail) {
            }
        };
    }
}
