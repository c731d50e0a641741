package dev.sandbox4j.linux.internal.nspawn;

import dev.sandbox4j.NetworkPolicy;
import dev.sandbox4j.linux.internal.plan.SandboxPlan;
import dev.sandbox4j.linux.internal.rlimit.Rlimits;
import dev.sandbox4j.linux.internal.rootfs.ExecArgs;
import dev.sandbox4j.linux.internal.rootfs.HostTools;
import dev.sandbox4j.linux.internal.rootfs.Sh;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The argv of one nspawn exec: {@code /bin/sh} joins the exec's cgroups, {@code nsenter} enters the
 * holder's mount namespace (where /run is a private tmpfs, so nspawn's lock and propagation directories
 * vanish with the sandbox, and the root is built) and, for {@code network=none}, its empty network
 * namespace; then one {@code systemd-nspawn} container runs the command:
 * <ul>
 *   <li>{@code --register=no --keep-unit}: no machined and no unit of its own (the host may have no systemd);</li>
 *   <li>{@code --as-pid2}: nspawn's stub init is pid 1 and reaps; the container, daemons included, ends
 *       with the command;</li>
 *   <li>{@code --console=pipe}: stdin, stdout and stderr stay the JVM's pipes, stdout and stderr apart;</li>
 *   <li>{@code --directory=<root>}: the holder's root, already read-only but for its read-write mounts and
 *       tmpfs paths (nspawn's {@code --read-only} would make those read-only too); nspawn's image lock and
 *       its own /tmp are switched off ({@link #ENVIRONMENT}), so that execs run side by side and share the
 *       sandbox's tmpfs paths;</li>
 *   <li>network: {@code host} shares the host's; {@code loopback} gets {@code --private-network} (its own
 *       loopback, up); {@code none} runs in the holder's empty network namespace (loopback down);</li>
 *   <li>{@code --drop-capability=all --no-new-privileges=yes --user=sandbox4j}: no capability, no new
 *       privileges, the sandbox's own host uid (nspawn makes no user namespace here: {@code id -u} inside
 *       prints that uid, which no other sandbox and no host process has);</li>
 *   <li>{@code --system-call-filter=keyctl}: nspawn's own filter refuses keyctl, which pid 2 needs once to
 *       leave the root-owned session keyring nspawn joined for the container (the policy's program, loaded
 *       right after, refuses it again when the policy denies it);</li>
 *   <li>{@code --rlimit}: the policy's rlimits for the payload (only ever lowered);</li>
 *   <li>{@code --resolv-conf=off --timezone=off --link-journal=no}: nspawn writes nothing into the root;</li>
 *   <li>{@code s4j-launch --guard} (bound into the root) as pid 2: a fresh session keyring of the sandbox's
 *       user, then the one syscall table's program: the set-id guard and the policy's rules
 *       ({@link dev.sandbox4j.linux.internal.rootfs.SetuidGuard}), then execs</li>
 *   <li>the image's {@code /bin/sh}, still pid 2, runs the exec's {@link #script}: the command through
 *       {@code env -i}, so it gets exactly the request's environment and none of nspawn's own variables
 *       (container=, container_uuid=, HOME, USER...), and its exit status.</li>
 * </ul>
 * Pure.
 */
final class NspawnCommand {
    /** Where the exec's script appears inside the container (on nspawn's own /run tmpfs). */
    static final String SCRIPT = "/run/sandbox4j-exec";

    /**
     * The environment of systemd-nspawn: no image lock (the root is the sandbox's own, and execs of one
     * sandbox run at the same time) and no tmpfs of its own on /tmp (the policy's tmpfs paths decide).
     */
    static final java.util.Map<String, String> ENVIRONMENT = java.util.Map.of("SYSTEMD_NSPAWN_LOCK", "0",
            "SYSTEMD_NSPAWN_TMPFS_TMP", "0");

    private NspawnCommand() {
    }

    /**
     * @param script the host path of the exec's {@link #script}
     */
    static List<String> argv(HostTools tools, Path mountNs, Path netNs, Path root, String machine, NetworkPolicy.Mode network,
                             List<Rlimits.Limit> rlimits, List<Path> procsFiles, String workdir, Path script, List<String> guard) {
        List<String> a = ExecArgs.joinCgroups(procsFiles, "sandbox4j-nspawn");
        a.add(tools.pathString("nsenter"));
        a.add("--mount=" + mountNs);
        if (network == NetworkPolicy.Mode.NONE) {
            a.add("--net=" + netNs);
        }
        a.add("--");
        a.addAll(List.of(tools.pathString("systemd-nspawn"), "--quiet", "--register=no", "--keep-unit", "--as-pid2",
                "--console=pipe", "--directory=" + root, "--machine=" + machine,
                "--hostname=" + SandboxPlan.HOSTNAME));
        if (network == NetworkPolicy.Mode.LOOPBACK) {
            a.add("--private-network");
        }
        a.addAll(List.of("--drop-capability=all", "--no-new-privileges=yes", "--user=" + NspawnUsers.USER,
                "--system-call-filter=keyctl"));
        a.addAll(List.of("--chdir=" + workdir, "--kill-signal=SIGKILL", "--resolv-conf=off", "--timezone=off",
                "--link-journal=no"));
        for (Rlimits.Limit l : rlimits) {
            a.add("--rlimit=RLIMIT_" + l.resource().name() + "=" + l.value() + ":" + l.value());
        }
        a.add("--bind-ro=" + script + ":" + SCRIPT);
        a.add("--");
        a.addAll(guard);
        a.addAll(List.of("/bin/sh", SCRIPT));
        return new ArrayList<>(a);
    }

    /**
     * The script pid 2 runs: {@code env -i -- NAME=value... argv}, then {@code exit $?}. The shell runs the
     * command as its child and exits with its status ({@code 128 + signal} when a signal ended it; nspawn
     * itself reports a payload killed by a signal only as 255). Environment values are in this file (0444,
     * in the sandbox's 0700 private directory, shown read-only to this exec only), so they never appear on
     * the long-lived command lines of systemd-nspawn or pid 2, only on env's for the instant before it
     * execs the command.
     */
    static String script(ExecArgs.Exec exec) {
        StringBuilder s = new StringBuilder("# sandbox4j exec\n");
        StringBuilder line = new StringBuilder();
        for (String arg : ExecArgs.envCommand(exec)) {
            line.append(line.length() == 0 ? "" : " ").append(Sh.quote(arg));
        }
        return s.append(line).append("\nexit $?\n").toString();
    }
}
