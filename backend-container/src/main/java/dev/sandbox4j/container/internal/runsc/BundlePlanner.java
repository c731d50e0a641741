package dev.sandbox4j.container.internal.runsc;

import dev.sandbox4j.FilesystemPolicy;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.Mount;
import dev.sandbox4j.ResourceLimits;
import dev.sandbox4j.container.internal.agent.ExecAgent;
import dev.sandbox4j.container.internal.plan.BindMount;
import dev.sandbox4j.container.internal.seccomp.SeccompHelper;
import dev.sandbox4j.spi.SandboxHost;
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
import java.util.OptionalLong;

/**
 * Policy to {@link BundlePlan}, with no runsc call. The mapping:
 *
 * <ul>
 *   <li>root: the image's rootfs, read-only; a private /proc and /sys of gVisor's kernel; the image's
 *       system binds (the host's /usr, ... for {@link dev.sandbox4j.SandboxImage#host()}) read-only; the
 *       policy's mounts; the workspace read-write; tmpfs paths (with {@code limits.disk} binds of the disk
 *       storage's directories, which share the one limit with the workspace on the same storage; else
 *       tmpfs mounts of mode 1777, size capped at the memory limit or 512 MiB); hidden paths covered by
 *       an empty file of mode 0000 (a host file) or an empty read-only tmpfs of mode 0, which also hides the
 *       image's binds beneath it. Every bind source is an
 *       {@link dev.sandbox4j.spi.PinnedPath#engineSource}: the core's pins from {@code spec.host()}, the
 *       backend's own pinned by the caller; every bind is nosuid,nodev;</li>
 *   <li>PID 1: the host's static init (bind-mounted read-only at {@value #INIT_PATH}), its only child the
 *       exec agent, which forks every command: so every command inherits the init's uid, no capabilities,
 *       no-new-privileges, rlimits and seccomp filter (runsc applies the spec's seccomp to the init only,
 *       a {@code runsc exec}'d process runs without it);</li>
 *   <li>uid and gid: the sandbox's host ids ({@code spec.host().ids()}); always no capabilities and
 *       no-new-privileges, whatever the policy asks;</li>
 *   <li>seccomp: the sandbox's system-call table ({@link OciSeccomp}) on the init, for every sandbox; and
 *       every command runs under the seccomp helper ({@link SeccompHelper}, bound read-only at
 *       {@value SeccompHelper#INSIDE}), which puts the same table on itself as libseccomp compiles it: this
 *       runsc answers every denial of the OCI profile with EPERM and cannot name calls it does not know
 *       (openat2), where the table answers ENOSYS;</li>
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

    /**
     * @param systemBinds the image's binds, sources already pinned
     * @param initSource  the engine source of the host's static init
     * @param agentSource the engine source of the exec agent's control directory
     * @param cover       the engine source of an empty host file of mode 0000, to cover hidden files
     * @param seccompSource the engine source of the seccomp helper's directory
     */
    static BundlePlan plan(SandboxSpec spec, List<BindMount> systemBinds, String initSource, String agentSource,
                           String cover, String seccompSource, String workspacePath) {
        IsolationPolicy policy = spec.policy();
        SandboxHost host = spec.host();
        FilesystemPolicy fs = policy.filesystem();
        ResourceLimits limits = policy.limits();
        Map<String, BundlePlan.OciMount> mounts = new LinkedHashMap<>();
        mounts.put("/proc", new BundlePlan.OciMount("/proc", "proc", "proc", List.of("nosuid", "noexec", "nodev")));
        mounts.put("/sys", new BundlePlan.OciMount("/sys", "sysfs", "sysfs", List.of("nosuid", "noexec", "nodev", "ro")));
        for (BindMount b : systemBinds) {
            mounts.put(b.containerPath(), BundlePlan.OciMount.bind(b.hostPath(), b.containerPath(), b.readOnly()));
        }
        for (Mount m : fs.mounts()) {
            String source = host.mount(fs.mounts(), m).engineSource(!m.writable()).toString();
            mounts.put(m.sandboxPath(), BundlePlan.OciMount.bind(source, m.sandboxPath(), !m.writable()));
        }
        mounts.put(workspacePath, BundlePlan.OciMount.bind(host.workspace().engineSource(false).toString(), workspacePath,
                false));
        long tmpfsBytes = limits.memory().map(m -> m.bytes()).orElse(DEFAULT_TMPFS_BYTES);
        for (int i = 0; i < fs.tmpfs().size(); i++) {
            String t = fs.tmpfs().get(i);
            if (host.storage().isPresent()) {
                String source = host.storage().get().tmpfsDirs().get(i).engineSource(false).toString();
                mounts.put(t, BundlePlan.OciMount.bind(source, t, false));
            } else {
                mounts.put(t, new BundlePlan.OciMount(t, "tmpfs", "tmpfs",
                        List.of("nosuid", "nodev", "size=" + tmpfsBytes, "mode=1777")));
            }
        }
        boolean hostImage = !systemBinds.isEmpty();
        for (String h : fs.hidden()) {
            if (hostImage && Files.isRegularFile(Path.of(h), LinkOption.NOFOLLOW_LINKS)) {
                mounts.put(h, BundlePlan.OciMount.bind(cover, h, true));
            } else {
                mounts.put(h, new BundlePlan.OciMount(h, "tmpfs", "tmpfs",
                        List.of("ro", "nosuid", "nodev", "noexec", "size=4096", "mode=0")));
                // an image's bind beneath a hidden directory (/etc/ssl/certs under /etc/ssl) would show through it
                String under = h.endsWith("/") ? h : h + "/";
                systemBinds.forEach(b -> {
                    if (b.containerPath().startsWith(under)) {
                        mounts.remove(b.containerPath());
                    }
                });
            }
        }
        mounts.put(INIT_PATH, BundlePlan.OciMount.bind(initSource, INIT_PATH, true));
        // read-write: gVisor refuses to open even a FIFO for writing on a read-only mount. Its directories are
        // the JVM's with mode 0711 (search only) and the JVM opens each FIFO without following links and only if
        // it is still a FIFO, so the sandbox can neither swap an entry for a link to a host file nor list others
        mounts.put(ExecAgent.INSIDE, BundlePlan.OciMount.bind(agentSource, ExecAgent.INSIDE, false));
        mounts.put(SeccompHelper.INSIDE, BundlePlan.OciMount.bind(seccompSource, SeccompHelper.INSIDE, true));
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
        return new BundlePlan(name, "/" + name, args, List.of(PATH), host.ids().uid(), host.ids().gid(), ordered, rlimits,
                memory, cpu, OciSeccomp.forSandbox(policy, System.getProperty("os.arch")));
    }
}
