package dev.sandbox4j.linux.internal.cgroup;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Kills every process of a cgroup, fork bombs included, by the strongest means the host has: cgroup.kill
 * (v2, Linux 5.14+) kills the whole cgroup at once in the kernel; a freezer (v2 cgroup.freeze or the v1
 * freezer) stops the bomb from forking while each member gets SIGKILL; with neither, members are killed
 * one by one until none is left, which terminates only because the pids limit bounds a bomb.
 * Each strategy loops until the cgroup is empty, bounded in time.
 */
final class CgroupKiller {
    private static final System.Logger LOG = System.getLogger(CgroupKiller.class.getName());
    private static final long DEADLINE_MILLIS = 10_000;

    private CgroupKiller() {
    }

    /**
     * @param v2      the cgroup2 directory, or null
     * @param freezer the v1 freezer directory, or null
     * @param any     any directory listing the members (cgroup.procs), or null when there is none
     * @return true when the cgroup ended empty
     */
    static boolean killAll(Path v2, Path freezer, Path any) {
        long deadline = System.currentTimeMillis() + DEADLINE_MILLIS;
        Path members = v2 != null ? v2 : freezer != null ? freezer : any;
        if (members == null) {
            return true;
        }
        int round = 0;
        while (!CgroupFiles.empty(members)) {
            if (System.currentTimeMillis() > deadline) {
                LOG.log(System.Logger.Level.WARNING, "cgroup {0}: processes {1} still alive after {2} ms of killing",
                        members, CgroupFiles.pids(members), DEADLINE_MILLIS);
                return false;
            }
            if (v2 != null && Files.exists(v2.resolve("cgroup.kill"))) {
                CgroupFiles.tryWrite(v2.resolve("cgroup.kill"), "1");
            } else if (v2 != null && Files.exists(v2.resolve("cgroup.freeze"))) {
                frozenKill(v2.resolve("cgroup.freeze"), "1", "0", v2, "frozen 1");
            } else if (freezer != null) {
                frozenKill(freezer.resolve("freezer.state"), "FROZEN", "THAWED", freezer, null);
            } else {
                List<Long> pids = CgroupFiles.pids(members);
                pids.forEach(CgroupFiles::sigkill);
            }
            CgroupFiles.pause(Math.min(50, 1L << Math.min(round++, 5)));
        }
        return true;
    }

    /** Freeze, SIGKILL every member (a frozen task dies as soon as it is thawed), thaw. */
    private static void frozenKill(Path control, String freeze, String thaw, Path dir, String frozenEvent) {
        CgroupFiles.tryWrite(control, freeze);
        for (int i = 0; i < 100 && !isFrozen(control, dir, frozenEvent); i++) {
            CgroupFiles.pause(5);
        }
        CgroupFiles.pids(dir).forEach(CgroupFiles::sigkill);
        CgroupFiles.tryWrite(control, thaw);
    }

    private static boolean isFrozen(Path control, Path dir, String frozenEvent) {
        if (frozenEvent == null) {
            return CgroupFiles.read(control).map("FROZEN"::equals).orElse(true);
        }
        return CgroupFiles.read(dir.resolve("cgroup.events")).map(s -> s.contains(frozenEvent)).orElse(true);
    }
}
