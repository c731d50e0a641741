package dev.sandbox4j.linux.internal.nspawn;

import java.util.List;

/** What the nspawn backend reaps beyond cgroups and temp dirs: systemd-nspawn's cgroup mirrors of dead sessions. */
public final class NspawnReaper {
    private NspawnReaper() {
    }

    public static List<String> reapMirrors() {
        return CgroupMirror.reap();
    }
}
