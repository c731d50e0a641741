package dev.sandbox4j.linux.internal.chroot;

import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.NetworkPolicy;
import dev.sandbox4j.SandboxImage;
import dev.sandbox4j.SandboxStartException;
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
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One chroot sandbox: its root built once by {@code s4j-launch --build-root} in a private mount namespace
 * (the image read-only, /etc basics, a few /dev nodes, no /proc, the tmpfs paths or the disk storage's
 * directories, the workspace and the policy's mounts, every bind verified against its pin, the sandbox's own
 * files idmapped, the root itself read-only), entered by every exec with nsenter and chroot, as the sandbox's
 * own host uid without capabilities or new privileges, under the policy's rlimits and the sandbox's cgroups.
 * There is no pid or network isolation: the command shares the host's pids (it may signal only processes of
 * its own uid, which no other sandbox and no host process has) and network. Thread-safe.
 */
public final class ChrootSession extends RootfsSession {
    /** The kind in the private directory's name. */
    public static final String KIND = "chroot";
    static final String BACKEND = "chroot";
    /** util-linux and the shell: what each exec's chain runs on the host. */
    public static final List<String> TOOLS = tools();

    private final int uid;
    private final int gid;
    private final List<Rlimits.Limit> rlimits;

    private ChrootSession(Parts parts) {
        super(parts);
        Step.SetUser user = plan.stepsOf(Step.SetUser.class).stream().findFirst()
                .orElseThrow(() -> new IllegalStateException("chroot: the plan names no user (SetUser): " + plan));
        this.uid = user.hostUid();
        this.gid = user.hostGid();
        this.rlimits = plan.stepsOf(Step.Rlimit.class).stream().map(Step.Rlimit::limit).toList();
    }

    private static List<String> tools() {
        List<String> t = new ArrayList<>(HostTools.UTIL_LINUX);
        t.add("sh");
        return List.copyOf(t);
    }

    /**
     * Checks what the capabilities do not cover, then builds the sandbox; nothing is left on failure.
     *
     * @throws dev.sandbox4j.BackendUnavailableException    not root, or a program missing
     * @throws dev.sandbox4j.UnsupportedPolicyException     an explicit uid, kept capabilities, the host's whole file
     *                                                      system, a network or pid namespace
     * @throws dev.sandbox4j.InvalidInputException          a rootfs or mount the view cannot have
     * @throws SandboxStartException                        a limit the host cannot enforce, or a setup failure
     */
    public static ChrootSession open(SandboxSpec spec, HostTools tools, Path tmpRoot) {
        RootfsPolicy.requireTools(BACKEND, tools, "apt-get install util-linux (Debian/Ubuntu), dnf install util-linux");
        RootfsPolicy.requireRoot(BACKEND, "chroot(2), setns(2), mounts and the uid change need it");
        IsolationPolicy policy = spec.policy();
        RootfsPolicy.requireIsolatedView(BACKEND, policy);
        RootfsPolicy.refuseKeptCapabilities(BACKEND, policy.process());
        if (policy.network().mode() != NetworkPolicy.Mode.HOST) {
            throw RootfsPolicy.refuse(BACKEND, "network=" + policy.network().mode().name().toLowerCase(java.util.Locale.ROOT),
                    "NETWORK_NONE", "a chroot shares the host's network; use NetworkPolicy.host() or a NAMESPACE backend");
        }
        if (policy.process().isolatePids()) {
            throw RootfsPolicy.refuse(BACKEND, "process.isolatePids", "PID_ISOLATION",
                    "a chroot has no pid namespace; relax the policy or use a NAMESPACE backend");
        }
        SandboxSpec own = RootfsPolicy.ownUser(BACKEND, spec);
        if (spec.image() instanceof SandboxImage.Directory d) {
            checkImage(d.rootfs());
        }
        Rlimits.checkEnforceable(Rlimits.plan(policy.limits()));
        return RootfsSession.open(own, tools, tmpRoot, Engine.CHROOT, KIND, (plan, facts, cg) -> new Layout(plan, List.of()),
                ChrootSession::new);
    }

    /** The image must have what the chain runs inside it: /bin/sh and env. */
    private static void checkImage(Path rootfs) {
        if (!java.nio.file.Files.isDirectory(rootfs)) {
            return; // the plan refuses it with the precise reason
        }
        if (!ImageFiles.executable(rootfs, "/bin/sh")) {
            throw new SandboxStartException("image.directory " + rootfs + " has no executable /bin/sh, which the chroot"
                    + " backend runs inside the root to enter the working directory; add a shell (busybox will do)");
        }
        if (ImageFiles.firstExecutable(rootfs, List.of("/usr/bin/env", "/bin/env")).isEmpty()) {
            throw new SandboxStartException("image.directory " + rootfs + " has no env in /usr/bin or /bin, which the"
                    + " chroot backend runs inside the root to give the command exactly its environment; add coreutils or busybox");
        }
    }

    @Override
    protected List<String> chain(ExecArgs.Exec exec, ExecCgroup cg, long execNumber) {
        return ChrootCommand.argv(tools, holder.namespace("mnt"), holder.throughRoot(root), uid, gid, rlimits,
                cg.procsFiles(), guard, exec);
    }
}
