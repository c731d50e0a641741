package dev.sandbox4j.spi;

/**
 * Whether a backend can run here now, and whether at hardware speed.
 *
 * @param available true when it can
 * @param reason    when available: what it found (version, accelerator); else: why not
 * @param fix       when unavailable: the exact way out (package to install, daemon to start); when available:
 *                  empty, or the way out of a limitation that the reason warns of
 * @param emulated  true when it runs, enforcing all it claims, but under software emulation instead of the
 *                  hardware it is built for (a VM whose CPU QEMU translates in software, TCG, because no
 *                  usable KVM exists): several times slower per command. {@code auto} passes such a backend
 *                  over unless the caller allows it (builder option {@code auto.allowEmulated=true}); naming
 *                  it always uses it. Always false when not available.
 */
public record Availability(boolean available, String reason, String fix, boolean emulated) {
    public Availability {
        if (reason == null || fix == null) {
            throw new IllegalArgumentException("Availability: reason and fix must not be null");
        }
        if (emulated && !available) {
            throw new IllegalArgumentException("Availability: an unavailable backend cannot be emulated: " + reason);
        }
    }

    /** Available or not, at hardware speed (not {@link #emulated()}). */
    public Availability(boolean available, String reason, String fix) {
        this(available, reason, fix, false);
    }

    public static Availability available(String detail) {
        return new Availability(true, detail, "", false);
    }

    /** Available, but under software emulation (see {@link #emulated()}); {@code detail} says which and why. */
    public static Availability emulated(String detail) {
        return new Availability(true, detail, "", true);
    }

    public static Availability unavailable(String reason, String fix) {
        return new Availability(false, reason, fix, false);
    }
}
