package dev.sandbox4j.linux.internal.rootfs;

import dev.sandbox4j.SandboxStartException;
import dev.sandbox4j.linux.internal.host.LauncherBinary;
import dev.sandbox4j.linux.internal.plan.HostFacts;
import dev.sandbox4j.linux.internal.plan.SandboxPlan;
import dev.sandbox4j.linux.internal.plan.Step;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The last steps of every chroot and nspawn exec before the command, taken by {@code s4j-launch --guard}
 * inside the root as the sandbox's user: a new anonymous session keyring (so that the command possesses none
 * of the JVM's keys, nor the root-owned keyring systemd-nspawn makes), then the plan's seccomp program, which
 * is the one syscall table's ({@code SyscallTable.forSandbox}): the policy's rules when it filters, and always
 * the set-id guard (the read-write directories are idmapped, so what the sandbox creates there belongs to the
 * JVM's user, root, on disk; a {@code chmod u+s} would leave a setuid-root file for any host user who can
 * reach it) and the network's rules.
 * The launcher (a static binary, copied 0555 since the extracted one is 0500) and the filter's BPF are
 * put in the sandbox's private directory, which is pinned and bound read-only at {@link #DIR} in the root.
 * Pure but for {@link #install}.
 */
public final class SetuidGuard {
    /** Where the root shows the launcher and the filter. */
    public static final String DIR = "/.sandbox4j";
    static final String LAUNCHER = "s4j-launch";
    static final String BPF = "seccomp.bpf";

    private SetuidGuard() {
    }

    /**
     * Writes the launcher and the plan's filter into {@code privateDir/guard} and returns the plan with that
     * directory, pinned by {@code files}, bound read-only at {@link #DIR} (before the root is made read-only).
     *
     * @throws SandboxStartException when the files cannot be written
     */
    public static SandboxPlan install(SandboxPlan plan, Path privateDir, HostFacts.FileProbe files) {
        Path dir = privateDir.resolve("guard");
        try {
            Files.createDirectory(dir);
            Files.copy(LauncherBinary.verifiedPath(), dir.resolve(LAUNCHER));
            Files.setPosixFilePermissions(dir.resolve(LAUNCHER), PosixFilePermissions.fromString("r-xr-xr-x"));
            for (Step.Seccomp s : plan.stepsOf(Step.Seccomp.class)) {
                Files.write(dir.resolve(BPF), s.program().bpf());
                Files.setPosixFilePermissions(dir.resolve(BPF), PosixFilePermissions.fromString("r--r--r--"));
            }
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("r-xr-xr-x"));
        } catch (IOException e) {
            throw new SandboxStartException("writing the setuid guard's launcher and filter into " + dir + " failed: " + e, e);
        }
        List<Step> steps = new ArrayList<>(plan.steps());
        steps.add(indexOfRootRemount(steps), new Step.BindRo(files.pin(dir, "the guard's directory"), DIR, Optional.empty(),
                Step.Origin.GENERATED));
        return new SandboxPlan(steps, plan.generatedFiles());
    }

    /**
     * {@code /.sandbox4j/s4j-launch --guard --seccomp /.sandbox4j/seccomp.bpf --}: append the program's path and
     * arguments.
     *
     * @throws IllegalStateException for a plan without its seccomp program (every plan has one)
     */
    public static List<String> prefix(SandboxPlan plan) {
        if (plan.stepsOf(Step.Seccomp.class).isEmpty()) {
            throw new IllegalStateException("the plan has no seccomp program; the set-id guard would be missing:\n" + plan);
        }
        return List.of(DIR + "/" + LAUNCHER, "--guard", "--seccomp", DIR + "/" + BPF, "--");
    }

    /** Where the step that makes the root read-only is (the end when there is none): binds go before it. */
    public static int indexOfRootRemount(List<Step> steps) {
        for (int i = 0; i < steps.size(); i++) {
            if (steps.get(i) instanceof Step.RemountRo r && r.dest().equals("/")) {
                return i;
            }
        }
        return steps.size();
    }
}
