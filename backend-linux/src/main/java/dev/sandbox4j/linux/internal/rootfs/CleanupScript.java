package dev.sandbox4j.linux.internal.rootfs;

import static dev.sandbox4j.linux.internal.rootfs.Sh.quote;

import dev.sandbox4j.linux.internal.cgroup.CgroupSandbox;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The lines a {@link RootHolder} runs when its lifeline closes: kill every process of the sandbox's cgroups
 * (cgroup.kill, else freeze and SIGKILL each member) and remove the cgroup directories, retrying for a few
 * seconds. After a normal close the JVM has done all of it already and the lines find nothing; after a
 * crash of the JVM they are what stops the sandbox at once, before any reaper runs. Pure.
 */
final class CleanupScript {
    private static final int ROUNDS = 25;

    private CleanupScript() {
    }

    /**
     * @param cgroup the sandbox's cgroups
     * @param extra  further directories to remove (trees made by an engine, e.g. systemd-nspawn's mirror)
     */
    static List<String> lines(CgroupSandbox cgroup, List<Path> extra) {
        List<Path> dirs = new ArrayList<>(cgroup.directories());
        dirs.addAll(extra);
        StringBuilder all = new StringBuilder();
        dirs.forEach(d -> all.append(' ').append(quote(d.toString())));
        List<String> out = new ArrayList<>();
        out.add("i=0");
        out.add("while [ $i -lt " + ROUNDS + " ]; do");
        for (Path d : cgroup.directories()) {
            String q = quote(d.toString());
            if (Files.exists(d.resolve("cgroup.kill"))) {
                out.add("  echo 1 > " + q + "/cgroup.kill");
            } else if (Files.exists(d.resolve("cgroup.freeze"))) {
                out.add("  echo 1 > " + q + "/cgroup.freeze");
                out.add(killMembers(q));
                out.add("  echo 0 > " + q + "/cgroup.freeze");
            } else if (Files.exists(d.resolve("freezer.state"))) {
                out.add("  echo FROZEN > " + q + "/freezer.state");
                out.add(killMembers(q));
                out.add("  echo THAWED > " + q + "/freezer.state");
            }
        }
        out.add("  for d in" + all + "; do for c in \"$d\"/*/*/ \"$d\"/*/ \"$d\"/; do [ -d \"$c\" ] && rmdir \"$c\"; done; done");
        out.add("  left=; for d in" + all + "; do [ -d \"$d\" ] && left=1; done");
        out.add("  [ -z \"$left\" ] && break");
        out.add("  sleep 0.2; i=$((i + 1))");
        out.add("done");
        out.add("exit 0");
        return out;
    }

    private static String killMembers(String dir) {
        return "  for f in " + dir + "/cgroup.procs " + dir + "/*/cgroup.procs " + dir + "/*/*/cgroup.procs; do"
                + " [ -f \"$f\" ] && while read -r p; do kill -9 \"$p\"; done < \"$f\"; done";
    }
}
