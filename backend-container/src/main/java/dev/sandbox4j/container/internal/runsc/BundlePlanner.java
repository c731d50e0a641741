package dev.sandbox4j.container.internal.runsc;

import dev.sandbox4j.FilesystemPolicy;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.Mount;
import dev.sandbox4j.ResourceLimits;
import dev.sandbox4j.container.internal.agent.ExecAgent;
import dev.sandbox4j.container.internal.plan.BindMount;
import dev.sandbox4j.spi.SandboxSpec;
import dev.sandbox4j.spi.SessionLabels;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Policy to {@link BundlePlan}, with no runsc call. The mapping:
 *
 * <ul>
 *   <li>root: the image's rootfs, read-only; a private /proc and /sys of gVisor's kernel; the image's
 *       system binds (the host's /usr, ... for {@link dev.sandbox4j.SandboxImage#host()}) read-only; the
 *       policy's mounts; the workspace read-write; tmpfs paths (mode 1777, size capped at the memory
 *       limit or 512 MiB); hidden paths covered by /dev/null (a host file) or an empty read-only tmpfs of
 *       mode 0;</li>
 *   <li>PID 1: the host's static init (bind-mounted read-only at {@value #INIT_PATH}), its only child the
 *       exec agent, which forks every command: so every command inherits the init's uid, no capabilities,
 *       no-new-privileges, rlimits and seccomp filter (runsc applies the spec's seccomp to the init only,
 *       a {@code runsc exec}'d process runs without it);</li>
 *   <li>uid: the policy's, else 0 (root of gVisor's kernel, without capabilities); always no capabilities
 *       and no-new-privileges, whatever the policy asks;</li>
 *   <li>memory (swap the same) and cpus: the host cgroup of the whole sandbox (gVisor's kernel included);
 *       no pids limit: this runsc has none inside, and the host's counts gVisor's own threads;</li>
 *   <li>fileSize, openFiles: the fsize and nofile rlimits, enforced by gVisor's kernel.</li>
 * </ul>
 */
final class BundlePlanner {
    static final String INIT_PATH = "/.sandbox4j/init";
    static final long DEFAULT_TMPFS_BYTES = 512L * 1024 * 1024;
    static final String PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private BundlePlanner() {
    }

    /** The container id and cgroup name of a sandbox: {@code sandbox4j-runsc-<session>--<sandboxId>}. */
    static String name(String sandboxId) {
        return SessionLabels.hostName("runsc", sandboxId).replaceAll("[^a-zA-Z0-9_.-]", "_");
    }

    static BundlePlan plan(SandboxSpec spec, List<BindMount> systemBinds, Path initBinary, Path agentDir,
                           String workspacePath) {
        IsolationPolicy policy = spec.policy();
        FilesystemPolicy fs = policy.filesystem();
        ResourceLimits limits = policy.limits();
        Map<String, BundlePlan.OciMount> mounts = new LinkedHashMap<>();
        mounts.put("/proc", new BundlePlan.OciMount("/proc", "proc", "proc", List.of("nosuid", "noexec", "nodev")));
        mounts.put("/sys", new BundlePlan.OciMount("/sys", "sysfs", "sysfs", List.of("nosuid", "noexec", "nodev", "ro")));
        for (BindMount b : systemBinds) {
            mounts.put(b.containerPath(), BundlePlan.OciMount.bind(b.hostPath(), b.containerPath(), b.readOnly()));
        }
        for (Mount m : fs.mounts()) {
            mounts.put(m.sandboxPath(), BundlePlan.OciMount.bind(m.hostPath().toString(), m.sandboxPath(), !m.writable()));
        }
        mounts.put(workspacePath, BundlePlan.OciMount.bind(spec.workspace().toString(), workspacePath, false));
        long tmpfsBytes = limits.memory().map(m -> m.bytes()).orElse(DEFAULT_TMPFS_BYTES);
        for (String t : fs.tmpfs()) {
            mounts.put(t, new BundlePlan.OciMount(t, "tmpfs", "tmpfs",
                    List.of("nosuid", "nodev", "size=" + tmpfsBytes, "mode=1777")));
        }
        boolean hostImage = !systemBinds.isEmpty();
        for (String h : fs.hidden()) {
            if (hostImage && Files.isRegularFile(Path.of(h), LinkOption.NOFOLLOW_LINKS)) {
                mounts.put(h, BundlePlan.OciMount.bind("/dev/null", h, true));
            } else {
                mounts.put(h, new BundlePlan.OciMount(h, "tmpfs", "tmpfs",
                        List.of("ro", "nosuid", "nodev", "noexec", "size=4096", "mode=0")));
            }
        }
        mounts.put(INIT_PATH, BundlePlan.OciMount.bind(initBinary.toString(), INIT_PATH, true));
        // read-write: gVisor refuses to open even a FIFO for writing on a read-only mount. The directories in
        // it are root's with mode 0755 and the JVM opens each FIFO without following links and only if it is
        // still a FIFO, so the sandbox can neither swap an entry for a link to a host file nor read another's
        mounts.put(ExecAgent.INSIDE, BundlePlan.OciMount.bind(agentDir.toString(), ExecAgent.INSIDE, false));
        List<BundlePlan.OciMount> ordered = new ArrayList<>(mounts.values());
        // parents first: a stable sort on the depth keeps the order of equals
        ordered.sort(Comparator.comparingLong(m -> m.destination().chars().filter(c -> c == '/').count()));

        List<BundlePlan.Rlimit> rlimits = new ArrayList<>();
        limits.fileSize().ifPresent(f -> rlimits.add(new BundlePlan.Rlimit("RLIMIT_FSIZE", f.bytes())));
        limits.openFiles().ifPresent(n -> rlimits.add(new BundlePlan.Rlimit("RLIMIT_NOFILE", n)));

        List<String> args = new ArrayList<>(List.of(INIT_PATH, "--"));
        args.addAll(ExecAgent.agentArgv());
        OptionalLong memory = limits.memory().map(m -> OptionalLong.of(m.bytes())).orElse(OptionalLong.empty());
        OptionalLong cpu = limits.cpus().isPresent()
                ? OptionalLong.of(Math.max(1000, Math.round(limits.cpus().getAsDouble() * BundlePlan.CPU_PERIOD_US)))
                : OptionalLong.empty();
        String name = name(spec.sandboxId());
        return new BundlePlan(name, "/" + name, args, List.of(PATH), policy.process().uid().orElse(0), ordered, rlimits,
                memory, cpu, policy.syscalls().filters()
                        ? Optional.of(OciSeccomp.forPolicy(policy.syscalls(), System.getProperty("os.arch")))
                        : Optional.empty());
    }
}
