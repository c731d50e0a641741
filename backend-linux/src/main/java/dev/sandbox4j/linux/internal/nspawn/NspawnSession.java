package dev.sandbox4j.linux.internal.nspawn;

import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.NetworkPolicy;
import dev.sandbox4j.SandboxImage;
import dev.sandbox4j.SandboxStartException;
import dev.sandbox4j.linux.internal.cgroup.CgroupSandbox;
import dev.sandbox4j.linux.internal.plan.Step;
import dev.sandbox4j.linux.internal.rlimit.Rlimits;
import dev.sandbox4j.linux.internal.rootfs.Engine;
import dev.sandbox4j.linux.internal.rootfs.ExecArgs;
import dev.sandbox4j.linux.internal.rootfs.ExecCgroup;
import dev.sandbox4j.linux.internal.rootfs.HostTools;
import dev.sandbox4j.linux.internal.rootfs.ImageFiles;
import dev.sandbox4j.linux.internal.rootfs.RootfsPolicy;
import dev.sandbox4j.linux.internal.rootfs.RootfsSession;
import dev.sandbox4j.spi.SandboxSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One nspawn sandbox: its root built once by {@code s4j-launch --build-root} in a private mount namespace
 * (like chroot's: the image read-only, /etc basics with the sandbox's user, the tmpfs paths or the disk
 * storage's directories, the workspace and the policy's mounts, every bind verified against its pin, the
 * sandbox's own files idmapped, the root read-only; only mount points for what nspawn mounts itself; a private
 * /run for nspawn's locks), and one systemd-nspawn container per exec on it, with its own pid, ipc, uts and
 * (unless the policy's network is the host's) network namespace, /proc, /dev and /sys, running as the
 * sandbox's own host uid; the sandbox's cgroups bound all containers together, and each exec's own cgroup kills
 * its container whole (nspawn leaves the payload running when it is SIGKILLed itself). Thread-safe.
 */
public final class NspawnSession extends RootfsSession {
    public static final String KIND = "nspawn";
    static final String BACKEND = "nspawn";
    /** systemd-nspawn, util-linux and the shell. */
    public static final List<String> TOOLS = tools();

    private final NetworkPolicy.Mode network;
    private final List<Rlimits.Limit> rlimits;
    private final Optional<Path> sandboxMirror;

    private NspawnSession(Parts parts) {
        super(parts);
        this.network = plan.stepsOf(Step.UnshareNet.class).stream().map(Step.UnshareNet::mode).findFirst()
                .orElse(NetworkPolicy.Mode.HOST);
        this.rlimits = plan.stepsOf(Step.Rlimit.class).stream().map(Step.Rlimit::limit).toList();
        this.sandboxMirror = ExecCgroup.killDirectory(parts.cgroup()).flatMap(CgroupMirror::of);
    }

    private static List<String> tools() {
        List<String> t = new ArrayList<>(List.of("systemd-nspawn"));
        t.addAll(HostTools.UTIL_LINUX);
        t.add("sh");
        return List.copyOf(t);
    }

    /**
     * Checks what the capabilities do not cover, then builds the sandbox; nothing is left on failure.
     *
     * @throws dev.sandbox4j.BackendUnavailableException    not root, or systemd-nspawn or a program missing
     * @throws dev.sandbox4j.UnsupportedPolicyException     an explicit uid, kept capabilities, the host's whole file
     *                                                      system
     * @throws dev.sandbox4j.InvalidInputException          a rootfs or mount the view cannot have
     * @throws SandboxStartException                        a limit the host cannot enforce, an image without env or
     *                                                      getent, or a setup failure
     */
    public static NspawnSession open(SandboxSpec spec, HostTools tools, Path tmpRoot) {
        RootfsPolicy.requireTools(BACKEND, tools, tools.missing().contains("systemd-nspawn")
                ? "apt-get install systemd-container (Debian/Ubuntu) or dnf install systemd-container (Fedora)"
                : "apt-get install util-linux");
        RootfsPolicy.requireRoot(BACKEND, "systemd-nspawn, mounts and cgroups need it");
        IsolationPolicy policy = spec.policy();
        RootfsPolicy.requireIsolatedView(BACKEND, policy);
        RootfsPolicy.refuseKeptCapabilities(BACKEND, policy.process());
        SandboxSpec own = RootfsPolicy.ownUser(BACKEND, spec);
        int uid = own.host().ids().uid();
        int gid = own.host().ids().gid();
        Optional<Path> rootfs = spec.image() instanceof SandboxImage.Directory d ? Optional.of(d.rootfs()) : Optional.empty();
        if (rootfs.isPresent() && Files.isDirectory(rootfs.get())) {
            checkImage(rootfs.get());
        }
        Rlimits.checkEnforceable(Rlimits.plan(policy.limits()));
        return RootfsSession.open(own, tools, tmpRoot, Engine.NSPAWN, KIND, (plan, facts, cg) -> new Layout(
                NspawnUsers.apply(plan, facts, rootfs.filter(Files::isDirectory), uid, gid), mirrors(cg)), NspawnSession::new);
    }

    /** The image must have what runs inside the container before the command: /bin/sh and env. */
    private static void checkImage(Path rootfs) {
        if (!ImageFiles.executable(rootfs, "/bin/sh")) {
            throw new SandboxStartException("image.directory " + rootfs + " has no executable /bin/sh, which the nspawn"
                    + " backend runs as the container's pid 2 to report the command's exit status; add a shell (busybox will do)");
        }
        if (ImageFiles.firstExecutable(rootfs, List.of("/usr/bin/env", "/bin/env")).isEmpty()) {
            throw new SandboxStartException("image.directory " + rootfs + " has no env in /usr/bin or /bin, which the"
                    + " nspawn backend runs inside the container to give the command exactly its environment; add"
                    + " coreutils or busybox");
        }
    }

    private static List<Path> mirrors(CgroupSandbox cg) {
        return ExecCgroup.killDirectory(cg).flatMap(CgroupMirror::of).map(List::of).orElse(List.of());
    }

    @Override
    protected List<String> chain(ExecArgs.Exec exec, ExecCgroup cg, long execNumber) {
        String machine = "s4j-" + spec.sandboxId() + "-" + execNumber;
        Path script = scriptOf(execNumber);
        try {
            Files.createDirectories(script.getParent());
            Files.writeString(script, NspawnCommand.script(exec));
            // pid 2 reads it as the sandbox's uid; the 0700 private directory keeps it from everyone else
            Files.setPosixFilePermissions(script, java.nio.file.attribute.PosixFilePermissions.fromString("r--r--r--"));
        } catch (java.io.IOException e) {
            throw new dev.sandbox4j.ExecException("writing the exec's script " + script + " failed: " + e, e);
        }
        return NspawnCommand.argv(tools, holder.namespace("mnt"), holder.namespace("net"), root, machine, network,
                rlimits, cg.procsFiles(), exec.workdir(), script, guard);
    }

    private Path scriptOf(long execNumber) {
        return privateDir.resolve("exec").resolve(Long.toString(execNumber));
    }

    @Override
    protected void execEnded(long execNumber) {
        try {
            Files.deleteIfExists(scriptOf(execNumber));
        } catch (java.io.IOException ignored) {
            // in the private directory, which close() deletes
        }
    }

    @Override
    protected java.util.Map<String, String> chainEnvironment() {
        return NspawnCommand.ENVIRONMENT;
    }

    @Override
    protected void afterExec(ExecCgroup cg) {
        CgroupMirror.of(cg.directory()).ifPresent(CgroupMirror::remove);
    }

    @Override
    protected void afterClose() {
        sandboxMirror.ifPresent(CgroupMirror::remove);
    }
}
