package dev.sandbox4j.linux.internal.chroot;

import dev.sandbox4j.linux.internal.rlimit.Rlimits;
import dev.sandbox4j.linux.internal.rootfs.ExecArgs;
import dev.sandbox4j.linux.internal.rootfs.HostTools;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The argv of one chroot exec, a chain of programs that each exec the next in the same process:
 * <ol>
 *   <li>{@code /bin/sh} joins the exec's cgroups (limits and membership) before anything else runs;</li>
 *   <li>{@code setsid}: a new session, no controlling terminal (no TIOCSTI into the JVM's terminal);</li>
 *   <li>{@code prlimit}: the policy's rlimits, soft = hard, only ever lowered;</li>
 *   <li>{@code setpriv --no-new-privs}: no setuid bit or file capability grants anything from here on;
 *       no inheritable capability; the bounding set cut to the five that the next step needs;</li>
 *   <li>{@code nsenter}: enters the holder's private mount namespace, chroots into the root, chdirs to
 *       it, drops the supplementary groups and sets gid then uid, the sandbox's own host ids (which no other
 *       sandbox and no host process has, so a {@code kill -9 -1} reaches only the sandbox's own processes): from
 *       here on the process holds no
 *       capability at all (a uid change from 0 to non-zero clears them), so it can never chroot again,
 *       which is what the classic escape ({@code mkdir x; chroot x; cd ../../..; chroot .}) needs;</li>
 *   <li>{@code s4j-launch --guard} (bound into the root): a fresh session keyring, then the one syscall
 *       table's program: the set-id guard and the policy's rules ({@link dev.sandbox4j.linux.internal.rootfs.SetuidGuard});</li>
 *   <li>the image's {@code /bin/sh} changes to the working directory <em>inside</em> the root (a symlink
 *       the sandbox made resolves inside it) and execs {@code env -i -- NAME=value... argv}, so the command
 *       gets exactly the request's environment.</li>
 * </ol>
 * Pure.
 */
final class ChrootCommand {
    /** What nsenter needs for setns(mount), chroot, setgroups/setgid/setuid and opening the holder's /proc files. */
    static final String BOUNDING_SET = "-all,+setuid,+setgid,+sys_admin,+sys_chroot,+sys_ptrace";
    /** The exit status when the working directory cannot be entered inside the root. */
    static final int CHDIR_FAILED = 126;

    private ChrootCommand() {
    }

    /**
     * @param mountNs  {@code /proc/<holder>/ns/mnt}
     * @param rootPath the root as reached through the holder ({@code /proc/<holder>/root/<private>/root})
     */
    static List<String> argv(HostTools tools, Path mountNs, Path rootPath, int uid, int gid, List<Rlimits.Limit> rlimits,
                             List<Path> procsFiles, List<String> guard, ExecArgs.Exec exec) {
        List<String> a = ExecArgs.joinCgroups(procsFiles, "sandbox4j-chroot");
        a.add(tools.pathString("setsid"));
        if (!rlimits.isEmpty()) {
            a.add(tools.pathString("prlimit"));
            a.addAll(Rlimits.prlimitArgs(rlimits));
            a.add("--");
        }
        a.addAll(List.of(tools.pathString("setpriv"), "--no-new-privs", "--inh-caps=-all", "--bounding-set=" + BOUNDING_SET,
                "--"));
        a.addAll(List.of(tools.pathString("nsenter"), "--mount=" + mountNs, "--root=" + rootPath, "--wd=" + rootPath,
                "--setuid=" + uid, "--setgid=" + gid, "--"));
        a.addAll(guard);
        a.addAll(List.of("/bin/sh", "-c", "cd \"$1\" || exit " + CHDIR_FAILED + "; shift; exec \"$@\"", "sandbox4j-chdir",
                exec.workdir()));
        a.addAll(ExecArgs.envCommand(exec));
        return new ArrayList<>(a);
    }
}
