package dev.sandbox4j.linux.internal.rootfs;

import dev.sandbox4j.linux.internal.plan.SandboxPlan;
import dev.sandbox4j.linux.internal.plan.Step;
import java.util.ArrayList;
import java.util.List;

/**
 * A session plan as a root-file-system engine carries it out: the namespace steps it does not take are
 * replaced by notes that say what the command shares instead, so that the printed plan states what happens.
 * Neither engine makes a user namespace: the command runs as the sandbox's own host ids ({@link Step.SetUser}
 * maps them onto themselves); nested user namespaces are refused by the seccomp program's clone and unshare
 * rules when the policy denies unshare (and, in a chroot, by the kernel, which refuses CLONE_NEWUSER to a
 * chrooted process). Pure.
 */
public final class EnginePlan {
    private EnginePlan() {
    }

    /** {@code plan} for {@code engine}. */
    public static SandboxPlan of(SandboxPlan plan, Engine engine) {
        List<Step> out = new ArrayList<>();
        boolean saidShared = false;
        for (Step s : plan.steps()) {
            if (s instanceof Step.UnshareUser) {
                out.add(new Step.Note("no user namespace: the command runs as the sandbox's own host uid and gid, which no"
                        + " other sandbox and no host process has"));
            } else if (s instanceof Step.DisableUserns) {
                out.add(new Step.Note("nested user namespaces: refused by the seccomp program (clone and unshare rules)"
                        + (engine == Engine.CHROOT ? " and by the kernel for a chrooted process" : "")));
            } else if (engine == Engine.CHROOT && (s instanceof Step.UnsharePid || s instanceof Step.UnshareIpc
                    || s instanceof Step.UnshareUts || s instanceof Step.UnshareCgroup)) {
                if (!saidShared) {
                    out.add(new Step.Note("the host's pid, ipc, uts and cgroup namespaces: a chroot has none of its own"));
                    saidShared = true;
                }
            } else if (engine == Engine.NSPAWN && s instanceof Step.UnshareCgroup) {
                out.add(new Step.Note("the cgroup namespace is systemd-nspawn's choice"));
            } else if (s instanceof Step.SetUser u) {
                out.add(new Step.SetUser(u.hostUid(), u.hostGid(), u.hostUid(), u.hostGid()));
            } else {
                out.add(s);
            }
        }
        return new SandboxPlan(out, plan.generatedFiles());
    }
}
