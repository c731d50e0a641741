package dev.sandbox4j.linux.internal.rootfs;

import java.util.List;

/**
 * What enters a root built by {@code s4j-launch --build-root}, which decides the /proc and /dev steps and the
 * namespaces the command gets.
 */
public enum Engine {
    /**
     * chroot(2) by nsenter: the host's pid, ipc, uts and network namespaces; no /proc (a /proc of the host's pid
     * namespace would show other processes' roots); /dev of a few host nodes.
     */
    CHROOT("chroot"),
    /**
     * systemd-nspawn: its own pid, ipc and uts namespaces (and network, unless the host's), /proc, /dev, /sys
     * and /run, for which the root gets only mount points; a private /run in the holder's namespace for
     * nspawn's locks.
     */
    NSPAWN("nspawn");

    /** Mount points systemd-nspawn needs in a root that it cannot write. */
    static final List<String> NSPAWN_MOUNT_POINTS = List.of("/proc", "/sys", "/dev", "/run", "/tmp", "/var", "/root", "/etc");

    private final String backend;

    Engine(String backend) {
        this.backend = backend;
    }

    /** The backend's name, for messages. */
    public String backend() {
        return backend;
    }
}
