package dev.sandbox4j;

/**
 * What the sandbox may reach on a network. Immutable and thread-safe.
 *
 * <ul>
 *   <li>{@link Mode#NONE}: nothing outside the sandbox is reachable, the host's 127.0.0.1 included (the
 *       default). Some backends still give it a private loopback of its own (bubblewrap does), others no
 *       interface at all (a VM without a network device); code must not rely on either.</li>
 *   <li>{@link Mode#LOOPBACK}: a private loopback that is up (127.0.0.1 inside is not the host's), so
 *       that programs talking to themselves over TCP work; nothing outside is reachable.</li>
 *   <li>{@link Mode#HOST}: the host's network, including services on the host's 127.0.0.1.</li>
 * </ul>
 *
 * @param mode the network mode
 */
public record NetworkPolicy(Mode mode) {

    public enum Mode { NONE, LOOPBACK, HOST }

    public NetworkPolicy {
        if (mode == null) {
            throw new InvalidInputException("network: no mode given; use NetworkPolicy.none(), loopback() or host()");
        }
    }

    public static NetworkPolicy none() {
        return new NetworkPolicy(Mode.NONE);
    }

    public static NetworkPolicy loopback() {
        return new NetworkPolicy(Mode.LOOPBACK);
    }

    public static NetworkPolicy host() {
        return new NetworkPolicy(Mode.HOST);
    }
}
