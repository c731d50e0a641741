package dev.sandbox4j.container.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.model.Version;
import dev.sandbox4j.InvalidInputException;
import dev.sandbox4j.SandboxStartException;
import dev.sandbox4j.container.internal.session.ConmonLeftovers;
import dev.sandbox4j.container.internal.agent.ExecAgent;
import dev.sandbox4j.container.internal.engine.EngineClient;
import dev.sandbox4j.container.internal.engine.EngineException;
import dev.sandbox4j.container.internal.engine.EngineSockets;
import dev.sandbox4j.container.internal.engine.Endpoint;
import dev.sandbox4j.container.internal.engine.Endpoints;
import dev.sandbox4j.container.internal.engine.PodmanService;
import dev.sandbox4j.container.internal.engine.RawHttp;
import dev.sandbox4j.container.internal.image.HostBinaries;
import dev.sandbox4j.container.internal.image.ImageResolver;
import dev.sandbox4j.container.internal.plan.BindMount;
import dev.sandbox4j.container.internal.plan.ContainerPlan;
import dev.sandbox4j.container.internal.plan.ContainerPlanner;
import dev.sandbox4j.container.internal.reap.ContainerReaper;
import dev.sandbox4j.container.internal.seccomp.SeccompHelper;
import dev.sandbox4j.container.internal.session.ContainerSession;
import dev.sandbox4j.spi.Availability;
import dev.sandbox4j.spi.BackendSession;
import dev.sandbox4j.spi.SandboxSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What the three public providers share: probing the engine, opening a sandbox on it, reaping it. The
 * providers differ only in their {@link EngineKind}. Thread-safe and stateless.
 */
public final class ContainerBackendSupport {
    /** Options each backend takes; any other key with the backend's prefix is refused. */
    static final Map<EngineKind, Set<String>> OPTIONS = Map.of(
            EngineKind.DOCKER, Set.of("docker.host"),
            EngineKind.PODMAN, Set.of("podman.host"),
            EngineKind.GVISOR, Set.of("gvisor.host", "gvisor.runtime"));
    static final Duration PROBE_TIMEOUT = Duration.ofSeconds(4);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final EngineKind kind;

    public ContainerBackendSupport(EngineKind kind) {
        this.kind = kind;
    }

    public EngineKind kind() {
        return kind;
    }

    public Availability probe() {
        try {
            if (HostBinaries.staticInit().isEmpty()) {
                return Availability.unavailable("no static init (tini, docker-init or catatonit) on this host to run as"
                        + " PID 1 of the sandbox containers", HostBinaries.initFix());
            }
            Endpoint endpoint;
            if (kind == EngineKind.PODMAN) {
                Optional<Endpoint> live = livePodmanSocket(Map.of());
                if (live.isEmpty()) {
                    int uid = jvmUid();
                    if (uid != 0) {
                        return Availability.unavailable(rootlessPodman(uid), ROOTLESS_FIX);
                    }
                    Optional<String> version = podmanCliVersion();
                    return version.map(v -> Availability.available(v + " (no Podman API socket running: a private"
                                    + " 'podman system service' is started on first use)"))
                            .orElseGet(() -> Availability.unavailable("podman is not installed (no 'podman' on the PATH)"
                                    + " and no Podman API socket is running", "apt-get install podman"));
                }
                endpoint = live.get();
            } else {
                endpoint = Endpoints.docker(Map.of(), kind.optionPrefix() + "host");
            }
            EngineClient client = EngineClient.of(endpoint, kind.displayName());
            String version;
            String apiVersion;
            try {
                Optional<EngineClient.Ping> ping = client.ping(PROBE_TIMEOUT);
                if (ping.isPresent()) {
                    version = ping.get().version();
                    apiVersion = ping.get().apiVersion();
                } else {
                    Version v = client.version(PROBE_TIMEOUT);
                    version = v.getVersion();
                    apiVersion = v.getApiVersion();
                }
            } catch (EngineException e) {
                // why the engine did not answer: no socket, nobody listening, no permission (looked at only now,
                // the core probes before every sandbox)
                Optional<EngineSockets.Problem> problem = EngineSockets.check(endpoint, kind == EngineKind.PODMAN ? "Podman"
                        : "Docker", kind == EngineKind.PODMAN ? "start podman's API service or remove the stale socket"
                        : dockerStartHint());
                if (problem.isPresent()) {
                    return Availability.unavailable(problem.get().reason(), problem.get().fix());
                }
                throw e;
            }
            Optional<String> rootless = rootlessProblem(endpoint, kind == EngineKind.PODMAN ? "Podman" : "Docker");
            if (rootless.isPresent()) {
                return Availability.unavailable(rootless.get(), ROOTLESS_FIX);
            }
            String detail = (kind == EngineKind.PODMAN ? "Podman " : "Docker Engine ") + version + " (API "
                    + apiVersion + ") at " + endpoint;
            if (kind == EngineKind.GVISOR) {
                Optional<String> bad = gvisorRuntimeProblem(endpoint, "runsc");
                if (bad.isPresent()) {
                    return Availability.unavailable(bad.get(), gvisorFix("runsc"));
                }
                detail += ", runtime runsc";
            }
            return Availability.available(detail);
        } catch (EngineException | InvalidInputException e) {
            return Availability.unavailable(e.getMessage(), kind == EngineKind.PODMAN ? "start podman's API service or"
                    + " remove the stale socket" : dockerStartHint());
        } catch (RuntimeException e) {
            return Availability.unavailable(kind.displayName() + " probe failed: " + e, dockerStartHint());
        }
    }

    public BackendSession open(SandboxSpec spec) {
        checkOptions(spec.options());
        Path init = HostBinaries.staticInit().orElseThrow(() -> new SandboxStartException(kind.backendName()
                + ": no static init on this host to run as PID 1 of the container; fix: " + HostBinaries.initFix()));
        boolean privateService = false;
        Endpoint endpoint;
        if (kind == EngineKind.PODMAN) {
            Optional<Endpoint> named = Endpoints.podmanExplicit(spec.options(), "podman.host");
            Optional<Endpoint> live = named.isPresent() ? named : livePodmanSocket(spec.options());
            if (live.isPresent()) {
                endpoint = live.get();
            } else {
                int uid = jvmUid();
                if (uid != 0) {
                    throw new SandboxStartException("podman: " + rootlessPodman(uid) + "; fix: " + ROOTLESS_FIX);
                }
                try {
                    endpoint = PodmanService.acquire();
                } catch (EngineException e) {
                    throw new SandboxStartException(e.getMessage(), e);
                }
                privateService = true;
            }
        } else {
            endpoint = Endpoints.docker(spec.options(), kind.optionPrefix() + "host");
        }
        Runnable release = privateService ? PodmanService::release : () -> { };
        EngineClient client = EngineClient.of(endpoint, kind.displayName());
        ContainerPlan plan;
        ImageResolver.Resolved image;
        WorkspaceAccess access = null;
        ExecAgent agent = null;
        SeccompHelper seccomp = null;
        try {
            Optional<String> runtime = Optional.empty();
            if (kind == EngineKind.GVISOR) {
                String name = spec.options().getOrDefault("gvisor.runtime", "runsc");
                Optional<String> bad = gvisorRuntimeProblem(endpoint, name);
                if (bad.isPresent()) {
                    throw new SandboxStartException("gvisor: " + bad.get() + "; fix: " + gvisorFix(name));
                }
                runtime = Optional.of(name);
            }
            image = ImageResolver.name(spec.image(), kind.displayName());
            if (kind == EngineKind.PODMAN) {
                // Podman's create learns its default nproc from the image (PodmanDefaults): it must exist first
                try {
                    ImageResolver.ensure(client, spec.image(), image, spec.events());
                } catch (EngineException e) {
                    throw new SandboxStartException(e.getMessage(), e);
                }
            }
            List<BindMount> systemBinds = new ArrayList<>();
            for (BindMount b : image.systemBinds()) {
                systemBinds.add(new BindMount(source(spec, Path.of(b.hostPath()), "host image directory", b.readOnly()),
                        b.containerPath(), b.readOnly()));
            }
            List<BindMount> extra = new ArrayList<>();
            if (useAgent()) {
                agent = ExecAgent.prepare(spec.sandboxId(), spec.host().ids());
                extra.add(new BindMount(source(spec, agent.hostDir(), "exec agent directory", true), ExecAgent.INSIDE, true));
            } else {
                // gVisor: runsc filters the init only, so every exec'd command puts the sandbox's filter on itself
                seccomp = SeccompHelper.prepare(spec.sandboxId(), spec.policy());
                extra.add(new BindMount(source(spec, seccomp.hostDir(), "seccomp helper directory", true),
                        SeccompHelper.INSIDE, true));
            }
            plan = ContainerPlanner.plan(spec, kind, image.reference(), systemBinds,
                    source(spec, init, "static init", true),
                    source(spec, cover(agent != null ? agent.hostDir() : seccomp.hostDir()), "cover of hidden files", true),
                    "/workspace", runtime, extra);
            if (agent != null) {
                // the agent is the container's main process: no engine exec to start it
                plan = plan.withMainCommand(ExecAgent.agentArgv());
            }
            if (seccomp != null) {
                plan = plan.withCommandPrefix(SeccompHelper.commandPrefix());
            }
            access = WorkspaceAccess.grant(spec);
        } catch (IOException | RuntimeException e) {
            if (agent != null) {
                agent.close();
            }
            if (seccomp != null) {
                seccomp.close();
            }
            release.run();
            if (e instanceof IOException io) {
                throw new SandboxStartException(kind.backendName() + ": cannot prepare the sandbox's own directories (exec"
                        + " agent, helpers) in java.io.tmpdir: " + io, io);
            }
            throw explained((RuntimeException) e, endpoint);
        }
        WorkspaceAccess granted = access;
        ExecAgent made = agent;
        SeccompHelper filter = seccomp;
        ImageResolver.Resolved named = image;
        // from here on the session releases the engine and the workspace itself, also when it fails to start (the
        // core releases the pinned paths after the session closed)
        try {
            return ContainerSession.open(client, kind, plan, "/workspace", spec.events(), granted.owner(),
                    Optional.ofNullable(made), () -> ImageResolver.ensure(client, spec.image(), named, spec.events()), () -> {
                        if (made != null) {
                            made.close();
                        }
                        if (filter != null) {
                            filter.close();
                        }
                        granted.close();
                        release.run();
                    });
        } catch (RuntimeException e) {
            throw explained(e, endpoint);
        }
    }

    /**
     * An empty file of mode 0000, {@code cover} in {@code dir} (a directory of the sandbox's own, made by this
     * JVM), made once: bound read-only over every hidden file, which then reads as "Permission denied". Not
     * /dev/null: a device does not open on a root JVM's staged nodev bind, and gVisor's file proxy refuses to
     * start the sandbox on it.
     */
    public static Path cover(Path dir) throws IOException {
        Path cover = dir.resolve("cover");
        if (!java.nio.file.Files.exists(cover, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            java.nio.file.Files.createFile(cover, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                    java.nio.file.attribute.PosixFilePermissions.fromString("---------")));
        }
        return cover;
    }

    /**
     * Pins {@code path}, a host path of this backend's own, for the sandbox of {@code spec} and returns what
     * an engine may resolve for it: with a root JVM a private nosuid,nodev (and read-only) bind staged by the
     * core, which releases it when the sandbox closes.
     *
     * @throws dev.sandbox4j.InvalidInputException when it is missing or has a symbolic link in it
     */
    public static String source(SandboxSpec spec, Path path, String what, boolean readOnly) {
        return spec.host().pin(path, what).engineSource(readOnly).toString();
    }

    /**
     * A start failure on the way to the engine, explained: the socket is missing, nobody listens on it, or
     * this user may not open it, with the fix. The socket is looked at only when a call failed, not before
     * every sandbox (the engine's own answer is the cheaper check).
     */
    private RuntimeException explained(RuntimeException e, Endpoint endpoint) {
        boolean io = false;
        for (Throwable c = e; c != null && !io; c = c.getCause() == c ? null : c.getCause()) {
            io = c instanceof IOException;
        }
        if (!io) {
            return e;
        }
        String engine = kind == EngineKind.PODMAN ? "Podman" : "Docker";
        Optional<String> problem = EngineSockets.problem(endpoint, engine,
                kind == EngineKind.PODMAN ? "start 'podman system service' or fix option podman.host" : dockerStartHint());
        return problem.<RuntimeException>map(p -> new SandboxStartException(kind.backendName() + ": cannot open a sandbox: "
                + p, e)).orElse(e);
    }

    /**
     * The in-container exec agent (a fork instead of an engine exec per command) is used on runc: every
     * sandbox runs as its own unprivileged host ids, which may open the agent's FIFOs and nothing else of
     * its control directory. Not under gVisor, whose file proxy does not open host FIFOs (runsc
     * --host-fifo=none).
     */
    private boolean useAgent() {
        return kind != EngineKind.GVISOR;
    }

    public List<String> reap() {
        List<String> removed = new ArrayList<>(ExecAgent.reapOrphans());
        removed.addAll(SeccompHelper.reapOrphans());
        try {
            if (kind == EngineKind.PODMAN) {
                removed.addAll(PodmanService.reapOrphans());
                removed.addAll(ConmonLeftovers.reap());
                Optional<Endpoint> live = livePodmanSocket(Map.of());
                if (live.isPresent()) {
                    removed.addAll(ContainerReaper.reap(EngineClient.of(live.get(), kind.displayName())));
                } else if (podmanCliVersion().isPresent()) {
                    Endpoint e = PodmanService.acquire();
                    try {
                        removed.addAll(ContainerReaper.reap(EngineClient.of(e, kind.displayName())));
                    } finally {
                        PodmanService.release();
                    }
                }
            } else {
                Endpoint e = Endpoints.docker(Map.of(), kind.optionPrefix() + "host");
                if (EngineSockets.problem(e, "Docker", "").isEmpty()) {
                    removed.addAll(ContainerReaper.reap(EngineClient.of(e, kind.displayName())));
                }
            }
        } catch (RuntimeException e) {
            System.getLogger(ContainerBackendSupport.class.getName()).log(System.Logger.Level.DEBUG, "reap failed", e);
        }
        return removed;
    }

    private void checkOptions(Map<String, String> options) {
        for (String key : options.keySet()) {
            if (key.startsWith(kind.optionPrefix()) && !OPTIONS.get(kind).contains(key)) {
                throw new InvalidInputException("option '" + key + "' is not one the " + kind.backendName()
                        + " backend knows; it takes: " + String.join(", ", OPTIONS.get(kind)));
            }
        }
    }

    private static Optional<Endpoint> livePodmanSocket(Map<String, String> options) {
        Optional<Endpoint> named = Endpoints.podmanExplicit(options, "podman.host");
        if (named.isPresent()) {
            return named;
        }
        return Endpoints.podmanSockets().stream().filter(e -> EngineSockets.problem(e, "Podman", "").isEmpty()).findFirst();
    }

    private static Optional<String> podmanCliVersion() {
        try {
            Process p = new ProcessBuilder("podman", "--version").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip();
            if (!p.waitFor(PROBE_TIMEOUT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                return Optional.empty();
            }
            return p.exitValue() == 0 ? Optional.of(out) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /**
     * Empty when the engine has runtime {@code name} registered with the flags this backend's claims rest
     * on: --network=none or host (a sandbox netstack cannot start here, and with none the network policy
     * holds inside gVisor) and --oci-seccomp (without it runsc ignores the seccomp profile: SYSCALL_FILTER
     * would be a lie).
     */
    static Optional<String> gvisorRuntimeProblem(Endpoint endpoint, String name) {
        JsonNode runtimes;
        try {
            runtimes = JSON.readTree(RawHttp.get(endpoint, "/v1.41/info", PROBE_TIMEOUT)).path("Runtimes");
        } catch (IOException e) {
            return Optional.of("cannot read the engine's runtimes at " + endpoint + ": " + e.getMessage());
        }
        JsonNode rt = runtimes.path(name);
        if (rt.isMissingNode()) {
            return Optional.of("the Docker engine at " + endpoint + " has no runtime '" + name + "' (it has "
                    + iterable(runtimes.fieldNames()) + ")");
        }
        List<String> args = new ArrayList<>();
        rt.path("runtimeArgs").forEach(a -> args.add(a.asText()));
        if (!args.contains("--oci-seccomp")) {
            return Optional.of("runtime '" + name + "' runs without --oci-seccomp " + args
                    + ", so runsc would ignore the sandbox's seccomp profile");
        }
        if (!args.contains("--network=none") && !args.contains("--network=host")) {
            return Optional.of("runtime '" + name + "' runs without --network=none " + args
                    + " (this runsc cannot start its own network stack in the root network namespace)");
        }
        return Optional.empty();
    }

    private static List<String> iterable(java.util.Iterator<String> it) {
        List<String> out = new ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }

    static String gvisorFix(String name) {
        return "register runsc with the Docker engine in /etc/docker/daemon.json: {\"runtimes\": {\"" + name
                + "\": {\"path\": \"/usr/bin/runsc\", \"runtimeArgs\": [\"--network=none\", \"--platform=ptrace\","
                + " \"--oci-seccomp\"]}}}, then reload dockerd (kill -HUP $(pidof dockerd)); apt-get install runsc";
    }

    /** What to do about a rootless engine. */
    static final String ROOTLESS_FIX = "run the JVM as root, or give it a rootful engine's API socket it may open (Docker:"
            + " membership in the 'docker' group, or DOCKER_HOST / option docker.host; Podman: option podman.host or"
            + " CONTAINER_HOST), or use a backend that runs unprivileged (namespaces, bubblewrap)";
    private static final Map<String, Boolean> ROOTLESS = new java.util.concurrent.ConcurrentHashMap<>();

    /** This JVM's uid. */
    static int jvmUid() {
        try {
            return (Integer) java.nio.file.Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * Why the engine at {@code endpoint} cannot run this module's sandboxes because it runs rootless (its
     * {@code /info} lists {@code name=rootless}); empty for a rootful engine. Each sandbox runs as a host uid
     * (its own under a root JVM, the JVM's under another), which owns the workspace and the exec agent's
     * FIFOs; a rootless engine runs containers in a user namespace that maps their users onto the engine
     * user's subordinate ids, so the sandbox's user would be another host uid with no access to them. Asked
     * once per endpoint and JVM.
     */
    static Optional<String> rootlessProblem(Endpoint endpoint, String engine) {
        Boolean rootless = ROOTLESS.get(endpoint.toString());
        if (rootless == null) {
            try {
                JsonNode options = JSON.readTree(RawHttp.get(endpoint, "/v1.41/info", PROBE_TIMEOUT)).path("SecurityOptions");
                boolean r = false;
                for (JsonNode o : options) {
                    r |= o.asText().contains("name=rootless");
                }
                rootless = r;
                ROOTLESS.put(endpoint.toString(), r);
            } catch (IOException | RuntimeException e) {
                return Optional.empty();
            }
        }
        return rootless ? Optional.of("the " + engine + " engine at " + endpoint + " runs rootless: its containers' users"
                + " are this user's subordinate ids, not the host uid the sandbox must run as (the owner of its"
                + " workspace and of the exec agent's FIFOs)") : Optional.empty();
    }

    /**
     * Why a private {@code podman system service} of this non-root JVM ({@code uid}) cannot serve: it would run
     * rootless (see {@link #rootlessProblem}), and what this host lacks for rootless Podman besides.
     */
    static String rootlessPodman(int uid) {
        List<String> lacks = new ArrayList<>();
        String user = System.getProperty("user.name");
        if (HostBinaries.onPath("newuidmap").isEmpty() || HostBinaries.onPath("newgidmap").isEmpty()) {
            lacks.add("newuidmap and newgidmap are not on the PATH (apt-get install uidmap)");
        }
        for (String f : List.of("/etc/subuid", "/etc/subgid")) {
            if (!subordinateIds(Path.of(f), user, uid)) {
                lacks.add("no range for user " + user + " in " + f);
            }
        }
        if (!java.nio.file.Files.exists(Path.of("/sys/fs/cgroup/cgroup.controllers"))) {
            lacks.add("the host's cgroups are v1, where rootless containers get no memory, cpu or pids limits");
        }
        return "no Podman API socket is running that this JVM may open, and a podman system service of its own would"
                + " run rootless (this JVM runs as uid " + uid + "): rootless Podman maps a container's users onto this"
                + " user's subordinate ids, not the host uid the sandbox must run as (the owner of its workspace and of"
                + " the exec agent's FIFOs)" + (lacks.isEmpty() ? "" : "; rootless Podman is not set up here either: "
                + String.join("; ", lacks));
    }

    private static boolean subordinateIds(Path file, String user, int uid) {
        try {
            for (String line : java.nio.file.Files.readAllLines(file)) {
                String owner = line.split(":", 2)[0];
                if (owner.equals(user) || owner.equals(Integer.toString(uid))) {
                    return true;
                }
            }
        } catch (IOException e) {
            // no such file: no ranges
        }
        return false;
    }

    static String dockerStartHint() {
        return "start the Docker engine (dockerd &, or systemctl start docker), or set DOCKER_HOST (or the builder"
                + " option docker.host) to its socket";
    }
}
