package dev.sandbox4j.spi;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Optional;

/**
 * The labels every backend puts on what it makes (containers, cgroups, temp dirs, VM sockets), so that a
 * reaper can find and remove what a crashed JVM left behind.
 *
 * <p>A session id reads {@code <pid>-<startTicks>-<random>}: the JVM's pid and its start time in clock
 * ticks since boot (from /proc), so that {@link #ownerAlive(String)} can tell a live owner from a dead
 * one even after the pid was reused. Thread-safe.
 */
public final class SessionLabels {
    /** Label key naming the library, value {@link #LIBRARY}. */
    public static final String LIBRARY_KEY = "dev.sandbox4j";
    public static final String LIBRARY = "sandbox4j";
    /** Label key whose value is the owning JVM's session id. */
    public static final String SESSION_KEY = "dev.sandbox4j.session";
    /** Label key whose value is the sandbox id. */
    public static final String SANDBOX_KEY = "dev.sandbox4j.sandbox";
    /** Prefix of every host name (temp dir, cgroup, socket) the library makes. */
    public static final String NAME_PREFIX = "sandbox4j-";

    private static final String CURRENT = makeId();

    private SessionLabels() {
    }

    /** This JVM's session id. */
    public static String current() {
        return CURRENT;
    }

    /** True when the JVM that made {@code sessionId} still runs (or the id cannot be read: then assume it does). */
    public static boolean ownerAlive(String sessionId) {
        String[] parts = sessionId.split("-");
        if (parts.length < 3) {
            return true;
        }
        try {
            long pid = Long.parseLong(parts[0]);
            long ticks = Long.parseLong(parts[1]);
            return startTicks(pid).map(t -> t == ticks).orElse(false);
        } catch (NumberFormatException e) {
            return true;
        }
    }

    /**
     * A host name for something a sandbox makes: {@code sandbox4j-<kind>-<session>--<sandboxId>}, so
     * that {@link #sessionOf(String)} can read the owner back from a leftover.
     */
    public static String hostName(String kind, String sandboxId) {
        return NAME_PREFIX + kind + "-" + CURRENT + "--" + sandboxId;
    }

    /** The session id inside a name made by {@link #hostName}, if it is one. */
    public static Optional<String> sessionOf(String name) {
        if (!name.startsWith(NAME_PREFIX)) {
            return Optional.empty();
        }
        int kindEnd = name.indexOf('-', NAME_PREFIX.length());
        int sep = name.indexOf("--", kindEnd + 1);
        if (kindEnd < 0 || sep < 0) {
            return Optional.empty();
        }
        String session = name.substring(kindEnd + 1, sep);
        return session.split("-").length == 3 ? Optional.of(session) : Optional.empty();
    }

    private static String makeId() {
        long pid = ProcessHandle.current().pid();
        byte[] r = new byte[4];
        new SecureRandom().nextBytes(r);
        return pid + "-" + startTicks(pid).orElse(0L) + "-" + HexFormat.of().formatHex(r);
    }

    /** Field 22 of /proc/PID/stat: start time in clock ticks after boot. */
    static Optional<Long> startTicks(long pid) {
        try {
            String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc", Long.toString(pid), "stat"));
            // the command name (field 2) may hold spaces and parentheses: count from the last ')'
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Optional.of(Long.parseLong(f[19]));
        } catch (java.io.IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
