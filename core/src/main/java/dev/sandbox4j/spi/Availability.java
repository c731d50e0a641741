package dev.sandbox4j.spi;

/**
 * Whether a backend can run here now.
 *
 * @param available true when it can
 * @param reason    when available: what it found (version, accelerator); else: why not
 * @param fix       when unavailable: the exact way out (package to install, daemon to start); when available:
 *                  empty, or the way out of a limitation that the reason warns of
 */
public record Availability(boolean available, String reason, String fix) {
    public Availability {
        if (reason == null || fix == null) {
            throw new IllegalArgumentException("Availability: reason and fix must not be null");
        }
    }

    public static Availability available(String detail) {
        return new Availability(true, detail, "");
    }

    public static Availability unavailable(String reason, String fix) {
        return new Availability(false, reason, fix);
    }
}
