package dev.sandbox4j.container.internal.plan;

import dev.sandbox4j.FilesystemPolicy;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.Mount;
import dev.sandbox4j.NetworkPolicy;
import dev.sandbox4j.ProcessPolicy;
import dev.sandbox4j.ResourceLimits;
import dev.sandbox4j.container.internal.EngineKind;
import dev.sandbox4j.spi.SandboxHost;
import dev.sandbox4j.spi.SandboxSpec;
import dev.sandbox4j.spi.SessionLabels;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Policy to {@link ContainerPlan}, with no engine call: every mapping in one place, unit-tested.
 *
 * <ul>
 *   <li>user: the sandbox's host ids ({@code spec.host().ids()}, {@code uid:gid}): a container shares the
 *       host's ids, so every sandbox runs as a host uid of its own (a root JVM) and {@code id -u} inside
 *       prints it; there is no uid mapping, so RUN_AS_UID is not claimed;</li>
 *   <li>host paths: every bind source is an {@link dev.sandbox4j.spi.PinnedPath#engineSource} (the
 *       workspace, the policy's mounts, the disk storage's directories from {@code spec.host()}; the
 *       backend's own binds pinned by the caller with {@code spec.host().pin}), never a path an engine would
 *       resolve through a link the sandbox planted. With a root JVM each is a staged nosuid,nodev bind (and
 *       read-only where the bind is): Docker gets a read-only one as it is ({@link BindMount#readOnlySource}),
 *       Podman asks for read-only and keeps the source's flags, so every bind inside, the host image's /usr
 *       included, is nosuid,nodev ({@link ContainerPlan#stagedBinds}: the session checks it on the running
 *       container);</li>
 *   <li>memory: the limit, and memory-swap equal to it (no swap beyond the limit);</li>
 *   <li>cpus: nano CPUs; pids: the pids limit;</li>
 *   <li>fileSize and openFiles: the {@code fsize} and {@code nofile} rlimits (soft = hard);</li>
 *   <li>a read-only root file system always; writable places are the workspace, read-write mounts and
 *       the tmpfs paths: with {@code limits.disk}, binds of the disk storage's directories (so that they
 *       and the workspace, which lies on the same storage, share the one limit), else tmpfs mounts (mode
 *       1777, exec allowed, size capped at the memory limit or 512 MiB);</li>
 *   <li>hidden paths: a file is covered by a read-only bind of an empty file of mode 0000 (a device such as
 *       /dev/null would not open on a nodev bind), a directory by an empty
 *       read-only tmpfs of mode 0;</li>
 *   <li>dropCapabilities: cap-drop ALL plus cap-add of the kept ones; noNewPrivileges: the security
 *       option (gVisor: both always); syscalls: the seccomp profile of the sandbox's system-call table
 *       ({@link SeccompProfiles#forSandbox}), for every sandbox;</li>
 *   <li>network none and loopback: the engine's {@code none} network (a loopback of the sandbox's own and
 *       nothing else); host: the host's network. On a Docker engine, none is also {@code NetworkDisabled}:
 *       runc then makes the container's new network namespace itself (its loopback is up, nothing else is
 *       in it), and dockerd skips its own network sandbox for it, with the {@code libnetwork-setkey}
 *       prestart hook that re-executes dockerd during {@code runc create} (about half of a container's
 *       start here). Loopback keeps the engine's none network: it also writes the {@code /etc/hosts} that
 *       resolves {@code localhost}, which a sandbox talking to itself may need;</li>
 *   <li>the init (a static tini/catatonit of the host) bind-mounted at {@value #INIT_PATH} is PID 1 and
 *       reaps orphans; its child {@code sleep} keeps the container up between execs.</li>
 * </ul>
 */
public final class ContainerPlanner {
    /** Where the host's static init binary is mounted inside. */
    public static final String INIT_PATH = "/.sandbox4j/init";
    /** Label naming the backend that made a container. */
    public static final String BACKEND_LABEL = "dev.sandbox4j.backend";
    static final long DEFAULT_TMPFS_BYTES = 512L * 1024 * 1024;

    private ContainerPlanner() {
    }

    /**
     * @param systemBinds      what the image needs bound in (the host's system dirs for {@link dev.sandbox4j.SandboxImage#host()}),
     *                         sources already pinned
     * @param initSource       the engine source of the host's static init
     * @param cover            the engine source of an empty host file of mode 0000, to cover hidden files
     * @param workspacePath    where the workspace appears inside
     * @param runtime          the engine's OCI runtime to use (runsc for gVisor); empty: its default
     * @param extraBinds       mounts of the backend's own (the exec agent's control directory), sources already pinned
     */
    public static ContainerPlan plan(SandboxSpec spec, EngineKind kind, String imageRef, List<BindMount> systemBinds,
                                     String initSource, String cover, String workspacePath, Optional<String> runtime,
                                     List<BindMount> extraBinds) {
        IsolationPolicy policy = spec.policy();
        SandboxHost host = spec.host();
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(SessionLabels.LIBRARY_KEY, SessionLabels.LIBRARY);
        labels.put(SessionLabels.SESSION_KEY, spec.sessionLabel());
        labels.put(SessionLabels.SANDBOX_KEY, spec.sandboxId());
        labels.put(BACKEND_LABEL, kind.backendName());

        FilesystemPolicy fs = policy.filesystem();
        Map<String, BindMount> binds = new LinkedHashMap<>();
        for (BindMount b : systemBinds) {
            binds.put(b.containerPath(), b);
        }
        for (Mount m : fs.mounts()) {
            // a policy mount at the same place as an image mount replaces it (readOnly("/usr") is the usual case)
            String source = host.mount(fs.mounts(), m).engineSource(!m.writable()).toString();
            binds.put(m.sandboxPath(), new BindMount(source, m.sandboxPath(), !m.writable()));
        }
        binds.put(workspacePath, new BindMount(host.workspace().engineSource(false).toString(), workspacePath, false));
        binds.put(INIT_PATH, new BindMount(initSource, INIT_PATH, true));
        for (BindMount b : extraBinds) {
            binds.put(b.containerPath(), b);
        }

        ResourceLimits limits = policy.limits();
        Map<String, String> tmpfs = new LinkedHashMap<>();
        long tmpfsBytes = limits.memory().map(m -> m.bytes()).orElse(DEFAULT_TMPFS_BYTES);
        for (int i = 0; i < fs.tmpfs().size(); i++) {
            String t = fs.tmpfs().get(i);
            if (host.storage().isPresent()) {
                String source = host.storage().get().tmpfsDirs().get(i).engineSource(false).toString();
                binds.put(t, new BindMount(source, t, false));
            } else {
                tmpfs.put(t, "rw,exec,nosuid,nodev,size=" + tmpfsBytes + ",mode=1777");
            }
        }
        boolean hostImage = !systemBinds.isEmpty();
        for (String h : fs.hidden()) {
            if (hostImage && Files.isRegularFile(Path.of(h), LinkOption.NOFOLLOW_LINKS)) {
                binds.put(h, new BindMount(cover, h, true));
            } else {
                tmpfs.put(h, "ro,nosuid,nodev,noexec,size=4096,mode=0");
                // an image's bind beneath a hidden directory (/etc/ssl/certs under /etc/ssl) would show through it
                systemBinds.forEach(b -> {
                    if (b.containerPath().startsWith(h.endsWith("/") ? h : h + "/")) {
                        binds.remove(b.containerPath(), b);
                    }
                });
            }
        }

        boolean staged = host.ids().own() && kind != EngineKind.GVISOR;
        if (staged && kind == EngineKind.DOCKER) {
            // a root JVM's engine sources are staged binds, read-only ones already ro,nosuid,nodev: Docker's runc binds
            // them as they are (its read-only remount would drop nosuid and nodev). Podman keeps the source's nosuid
            // and nodev on its own read-only remount, and makes a bind without it writable. gVisor shows its own flags.
            binds.replaceAll((path, b) -> new BindMount(b.hostPath(), b.containerPath(), b.readOnly(), b.readOnly()));
        }

        List<ContainerPlan.Ulimit> ulimits = new ArrayList<>();
        limits.fileSize().ifPresent(f -> ulimits.add(new ContainerPlan.Ulimit("fsize", f.bytes(), f.bytes())));
        limits.openFiles().ifPresent(n -> ulimits.add(new ContainerPlan.Ulimit("nofile", n, n)));

        ProcessPolicy p = policy.process();
        List<String> capDrop = new ArrayList<>();
        List<String> capAdd = new ArrayList<>();
        // gVisor: always no capabilities and no new privileges, stronger than any policy asks (see EngineKind)
        boolean alwaysLocked = kind == EngineKind.GVISOR;
        if (p.dropCapabilities() || alwaysLocked) {
            capDrop.add("ALL");
            if (p.dropCapabilities()) {
                p.keepCapabilities().forEach(c -> capAdd.add(c.substring("CAP_".length())));
            }
        }
        List<String> securityOpts = new ArrayList<>();
        if (p.noNewPrivileges() || alwaysLocked) {
            securityOpts.add("no-new-privileges");
        }
        securityOpts.add("seccomp=" + (kind == EngineKind.GVISOR ? SeccompProfiles.forRunsc(policy)
                : SeccompProfiles.forSandbox(policy)));
        String user = host.ids().uid() + ":" + host.ids().gid();
        String network = switch (policy.network().mode()) {
            case NONE, LOOPBACK -> "none";
            case HOST -> "host";
        };
        // Podman's compatible API maps NetworkDisabled onto its own none network: nothing to gain there
        boolean networkDisabled = policy.network().mode() == NetworkPolicy.Mode.NONE && kind != EngineKind.PODMAN;
        OptionalLong memory = limits.memory().map(m -> OptionalLong.of(m.bytes())).orElse(OptionalLong.empty());
        OptionalLong cpus = limits.cpus().isPresent()
                ? OptionalLong.of(Math.round(limits.cpus().getAsDouble() * 1_000_000_000d)) : OptionalLong.empty();
        OptionalLong pids = limits.pids().isPresent()
                ? OptionalLong.of(limits.pids().getAsInt()) : OptionalLong.empty();
        String name = containerName(spec.sandboxId());
        return new ContainerPlan(name, imageRef, labels,
                List.of(INIT_PATH, "--", "sleep", "2147483647"), user, new ArrayList<>(binds.values()), tmpfs, memory,
                cpus, pids, ulimits, true, capDrop, capAdd, securityOpts, network, networkDisabled, runtime, List.of(), staged);
    }

    /** {@code sandbox4j-ctr-<session>--<sandboxId>}, with characters an engine refuses replaced. */
    public static String containerName(String sandboxId) {
        return SessionLabels.hostName("ctr", sandboxId).replaceAll("[^a-zA-Z0-9_.-]", "_");
    }
}
