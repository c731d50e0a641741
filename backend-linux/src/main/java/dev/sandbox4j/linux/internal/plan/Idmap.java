package dev.sandbox4j.linux.internal.plan;

/**
 * How a bind is idmapped: the host's files of {@code fromUid}:{@code fromGid} (the JVM's user) appear as
 * {@code toUid}:{@code toGid}'s (the sandbox's host user, which its user namespace shows as the sandbox's
 * user), and what {@code toUid}:{@code toGid} creates there is stored as {@code fromUid}:{@code fromGid}'s.
 * Only a root launcher makes idmapped mounts. Immutable.
 */
public record Idmap(int fromUid, int fromGid, int toUid, int toGid) {
    /** {@code FU:FG:TU:TG} as the launchers take it. */
    public String arg() {
        return Integer.toUnsignedString(fromUid) + ":" + Integer.toUnsignedString(fromGid) + ":"
                + Integer.toUnsignedString(toUid) + ":" + Integer.toUnsignedString(toGid);
    }

    @Override
    public String toString() {
        return "idmapped " + Integer.toUnsignedString(fromUid) + ":" + Integer.toUnsignedString(fromGid) + " as "
                + Integer.toUnsignedString(toUid) + ":" + Integer.toUnsignedString(toGid);
    }
}
