package dev.sandbox4j;

import java.util.Collections;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;

/**
 * Who the sandbox's processes are and what they can see of others. Immutable and thread-safe.
 *
 * @param isolatePids      true: the sandbox sees and signals only its own processes (a pid namespace or
 *                         a VM); false: it may see the host's
 * @param uid              the user id the command runs as inside the sandbox. Empty (the presets' choice): the
 *                         sandbox's own unprivileged user, which runs on the host as a uid that no other
 *                         sandbox and no host process has; inside a user namespace or a guest kernel it shows
 *                         as {@value #NOBODY}, where the sandbox shares the host's ids (chroot, nspawn, the
 *                         container engines) as that host uid itself; for {@code none}, the JVM's own user.
 *                         A uid named here needs the RUN_AS_UID capability: only a backend that maps it onto
 *                         the sandbox's own host uid claims it
 * @param noNewPrivileges  true: setuid binaries and file capabilities grant nothing (PR_SET_NO_NEW_PRIVS)
 * @param dropCapabilities true: the command holds no Linux capability but those in {@code keepCapabilities}
 * @param keepCapabilities capability names kept when dropping, e.g. {@code CAP_NET_BIND_SERVICE}
 */
public record ProcessPolicy(boolean isolatePids, OptionalInt uid, boolean noNewPrivileges,
                            boolean dropCapabilities, Set<String> keepCapabilities) {

    /** The uid the sandbox's own user shows inside a user namespace or a guest when the policy names none. */
    public static final int NOBODY = 65534;

    public ProcessPolicy {
        if (uid == null || keepCapabilities == null) {
            throw new InvalidInputException("process: use OptionalInt.empty() and Set.of() for none, not null");
        }
        if (uid.isPresent() && uid.getAsInt() < 0) {
            throw new InvalidInputException("process.uid: " + uid.getAsInt() + " is negative");
        }
        Set<String> caps = new TreeSet<>();
        for (String c : keepCapabilities) {
            if (c == null || !c.matches("CAP_[A-Z_]+")) {
                throw new InvalidInputException("process.keepCapabilities: '" + c
                        + "' is not a capability name (e.g. CAP_NET_BIND_SERVICE)");
            }
            caps.add(c);
        }
        keepCapabilities = Collections.unmodifiableSet(caps);
        if (!dropCapabilities && !keepCapabilities.isEmpty()) {
            throw new InvalidInputException("process.keepCapabilities: only means something when dropCapabilities is true");
        }
    }

    /** Own pid namespace, the sandbox's own unprivileged user, no new privileges, no capabilities. */
    public static ProcessPolicy isolated() {
        return new ProcessPolicy(true, OptionalInt.empty(), true, true, Set.of());
    }

    /** The host's processes visible, the JVM's user, nothing dropped. */
    public static ProcessPolicy host() {
        return new ProcessPolicy(false, OptionalInt.empty(), false, false, Set.of());
    }
}
