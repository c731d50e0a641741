package dev.sandbox4j.linux.internal.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Why unshare(CLONE_NEWUSER) may be refused on this host, and the exact fix. Stateless. */
public final class UserNamespaces {
    private UserNamespaces() {
    }

    /**
     * The fix for a refused user namespace.
     *
     * @param unprivileged true when the namespace is made by an unprivileged process (bubblewrap always is
     *                     when the JVM is not root, and in the user namespace a root launcher made for it)
     */
    public static String fix(boolean unprivileged) {
        if (read("/proc/sys/user/max_user_namespaces").equals("0")) {
            return "sysctl -w user.max_user_namespaces=15000 (user namespaces are disabled)";
        }
        if (unprivileged && read("/proc/sys/kernel/unprivileged_userns_clone").equals("0")) {
            return "sysctl -w kernel.unprivileged_userns_clone=1 (user namespaces are off for unprivileged users)";
        }
        if (unprivileged && read("/proc/sys/kernel/apparmor_restrict_unprivileged_userns").equals("1")) {
            return "sysctl -w kernel.apparmor_restrict_unprivileged_userns=0 (Ubuntu 23.10+ restricts user namespaces"
                    + " to programs with an AppArmor profile), or an AppArmor profile allowing userns for bwrap";
        }
        return "allow user namespaces (sysctl user.max_user_namespaces, kernel.unprivileged_userns_clone); in a"
                + " container, unshare(CLONE_NEWUSER) must be allowed by its seccomp profile (or run it --privileged)";
    }

    private static String read(String file) {
        try {
            return Files.readString(Path.of(file)).trim();
        } catch (IOException e) {
            return "";
        }
    }
}
