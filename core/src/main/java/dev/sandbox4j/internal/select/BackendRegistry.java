package dev.sandbox4j.internal.select;

import dev.sandbox4j.BackendInfo;
import dev.sandbox4j.BackendUnavailableException;
import dev.sandbox4j.InvalidInputException;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.SandboxImage;
import dev.sandbox4j.UnsupportedPolicyException;
import dev.sandbox4j.spi.Availability;
import dev.sandbox4j.spi.SandboxBackend;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;

/**
 * The backends found on the class path, and the choice among them: an explicit name, else the
 * {@code sandbox4j.backend} system property, else the {@code SANDBOX4J_BACKEND} environment variable,
 * else {@code auto}.
 *
 * <p>{@code auto} takes the strongest available backend that can enforce the policy, then the fastest to
 * start; it never takes {@code none} or a remote backend, and passes over a backend whose probe says it runs
 * under software emulation ({@link Availability#emulated()}: a VM without a usable KVM, several times slower)
 * unless the builder option {@value #ALLOW_EMULATED} is {@code true}. Naming a backend always uses it.
 *
 * <p>Probe results are kept for {@link #PROBE_TTL} (a probe asks engines and daemons, which takes up to a
 * few seconds; doctor and every {@code build()} ask again), and dropped at once when a choice or a start
 * fails because a backend is unavailable ({@link #forget}), so that the next attempt probes afresh.
 * Thread-safe: the backends are fixed at construction, the probe cache is concurrent.
 */
public final class BackendRegistry {
    /** The name that asks for automatic choice. */
    public static final String AUTO = "auto";
    /**
     * The builder option ({@code option("auto.allowEmulated", "true")}) that lets {@code auto} choose a
     * backend that runs under software emulation; {@code false} (the default) passes such backends over.
     * The registry consumes it: backends never see options under {@value #OPTION_PREFIX}.
     */
    public static final String ALLOW_EMULATED = "auto.allowEmulated";
    /** The prefix of the options the registry reads; any other key under it is refused. */
    public static final String OPTION_PREFIX = "auto.";
    /** How long a probe result is reused: 5 seconds. */
    public static final Duration PROBE_TTL = Duration.ofSeconds(5);

    private static volatile BackendRegistry global;

    private final Map<String, SandboxBackend> backends;
    private final long ttlNanos;
    private final LongSupplier nanoClock;
    private final Map<String, Probed> probed = new ConcurrentHashMap<>();

    /** A probe result and when it was taken ({@link System#nanoTime()} scale). */
    private record Probed(Availability availability, long atNanos) {
    }

    public BackendRegistry(List<SandboxBackend> found) {
        this(found, PROBE_TTL);
    }

    /** @param probeTtl how long a probe result is reused ({@link Duration#ZERO}: never) */
    public BackendRegistry(List<SandboxBackend> found, Duration probeTtl) {
        this(found, probeTtl, System::nanoTime);
    }

    /**
     * @param probeTtl  how long a probe result is reused ({@link Duration#ZERO}: never)
     * @param nanoClock the clock of the cache, in nanoseconds ({@code System::nanoTime})
     */
    BackendRegistry(List<SandboxBackend> found, Duration probeTtl, LongSupplier nanoClock) {
        if (probeTtl.isNegative()) {
            throw new IllegalArgumentException("probeTtl must not be negative: " + probeTtl);
        }
        this.ttlNanos = probeTtl.toNanos();
        this.nanoClock = nanoClock;
        Map<String, SandboxBackend> m = new LinkedHashMap<>();
        for (SandboxBackend b : found) {
            SandboxBackend prior = m.putIfAbsent(b.name(), b);
            if (prior != null && prior.getClass() != b.getClass()) {
                throw new IllegalStateException("two backends are named '" + b.name() + "': "
                        + prior.getClass().getName() + " and " + b.getClass().getName() + "; remove one from the class path");
            }
        }
        this.backends = m;
    }

    /** The registry of the backends ServiceLoader finds with this class's loader; loaded once. */
    public static BackendRegistry global() {
        BackendRegistry r = global;
        if (r == null) {
            synchronized (BackendRegistry.class) {
                r = global;
                if (r == null) {
                    List<SandboxBackend> found = new ArrayList<>();
                    ServiceLoader.load(SandboxBackend.class, BackendRegistry.class.getClassLoader()).forEach(found::add);
                    r = new BackendRegistry(found);
                    global = r;
                }
            }
        }
        return r;
    }

    public List<SandboxBackend> all() {
        return List.copyOf(backends.values());
    }

    public Optional<SandboxBackend> find(String name) {
        return Optional.ofNullable(backends.get(name));
    }

    /** Every backend with a probe at most {@link #PROBE_TTL} old, strongest isolation first. */
    public List<BackendInfo> describe() {
        return backends.values().stream()
                .sorted(Comparator.comparing(SandboxBackend::isolation).reversed().thenComparing(SandboxBackend::name))
                .map(b -> new BackendInfo(b.name(), b.isolation(), probe(b), b.capabilities()))
                .toList();
    }

    /**
     * The backend's probe result, taken now or at most {@link #PROBE_TTL} ago. Two threads that miss the
     * cache at once may both probe; both results are right, the later one is kept.
     */
    public Availability probe(SandboxBackend b) {
        long now = nanoClock.getAsLong();
        Probed p = probed.get(b.name());
        if (p != null && now - p.atNanos() < ttlNanos) {
            return p.availability();
        }
        Availability a = safeProbe(b);
        if (ttlNanos > 0) {
            probed.put(b.name(), new Probed(a, now));
        }
        return a;
    }

    /** Drops the kept probe result of the named backend: its next probe runs afresh. */
    public void forget(String name) {
        probed.remove(name);
    }

    /**
     * Whether the options let {@code auto} choose an emulated backend ({@value #ALLOW_EMULATED}).
     *
     * @throws InvalidInputException a value other than true or false, or an unknown key under {@value #OPTION_PREFIX}
     */
    public static boolean allowEmulated(Map<String, String> options) {
        for (String key : options.keySet()) {
            if (key.startsWith(OPTION_PREFIX) && !key.equals(ALLOW_EMULATED)) {
                throw new InvalidInputException("option " + key + ": unknown; the only option under '" + OPTION_PREFIX
                        + "' is " + ALLOW_EMULATED + " (true or false)");
            }
        }
        String v = options.get(ALLOW_EMULATED);
        if (v == null) {
            return false;
        }
        return switch (v.trim()) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new InvalidInputException("option " + ALLOW_EMULATED + "=" + v + ": give true or false"
                    + " (true lets backend auto choose a backend that runs under software emulation)");
        };
    }

    /** The options without the registry's own ({@value #OPTION_PREFIX}...): what backends get. */
    public static Map<String, String> backendOptions(Map<String, String> options) {
        Map<String, String> m = new LinkedHashMap<>(options);
        m.keySet().removeIf(k -> k.startsWith(OPTION_PREFIX));
        return Map.copyOf(m);
    }

    /** Why {@code auto} passes over an emulated backend, and the two ways to use it anyway. */
    public static String passedOver(String backend) {
        return "passed over by auto: runs under software emulation, several times slower; name it (.backend(\""
                + backend + "\") or --backend " + backend + ") or allow it with option " + ALLOW_EMULATED + "=true";
    }

    /** The name asked for by the caller, the system property or the environment, else {@code auto}. */
    public static String requestedName(Optional<String> explicit) {
        if (explicit.isPresent() && !explicit.get().isBlank()) {
            return explicit.get().trim();
        }
        String prop = System.getProperty("sandbox4j.backend");
        if (prop != null && !prop.isBlank()) {
            return prop.trim();
        }
        String env = System.getenv("SANDBOX4J_BACKEND");
        if (env != null && !env.isBlank()) {
            return env.trim();
        }
        return AUTO;
    }

    /**
     * Picks the backend for a policy and image, or explains why none fits.
     *
     * @throws InvalidInputException       an unknown name
     * @throws BackendUnavailableException the named backend is unavailable, or no backend is for auto
     * @throws UnsupportedPolicyException  the named backend cannot enforce part of the policy
     */
    public SandboxBackend choose(String name, IsolationPolicy policy, SandboxImage image) {
        return choose(name, policy, image, Map.of());
    }

    /**
     * As {@link #choose(String, IsolationPolicy, SandboxImage)}, with the builder's options: the registry
     * reads {@value #ALLOW_EMULATED}. A choice that fails because a backend is unavailable forgets the
     * probe results it used, so that the next attempt (after a daemon was started, say) probes afresh.
     *
     * @throws InvalidInputException an unknown name, or a bad {@value #OPTION_PREFIX} option
     */
    public SandboxBackend choose(String name, IsolationPolicy policy, SandboxImage image, Map<String, String> options) {
        boolean allowEmulated = allowEmulated(options);
        List<Requirement> needs = PolicyRequirements.of(policy, image);
        if (!AUTO.equals(name)) {
            SandboxBackend b = backends.get(name);
            if (b == null) {
                throw new InvalidInputException("backend '" + name + "' is not on the class path; known backends: "
                        + String.join(", ", backends.keySet()) + " (or auto). Add the module that provides it.");
            }
            List<Requirement> missing = missing(b, needs);
            if (!missing.isEmpty()) {
                throw unsupported(b.name(), missing);
            }
            Availability a = probe(b);
            if (!a.available()) {
                forget(b.name());
                throw new BackendUnavailableException("backend '" + name + "' is not available here: " + a.reason()
                        + (a.fix().isEmpty() ? "" : "; fix: " + a.fix()));
            }
            return b;
        }
        List<SandboxBackend> candidates = backends.values().stream()
                .filter(b -> b.isolation().autoSelectable())
                .sorted(Comparator.comparing(SandboxBackend::isolation).reversed()
                        .thenComparing(SandboxBackend::typicalStartup)
                        .thenComparing(SandboxBackend::name))
                .toList();
        StringBuilder why = new StringBuilder();
        for (SandboxBackend b : candidates) {
            List<Requirement> missing = missing(b, needs);
            if (!missing.isEmpty()) {
                why.append("\n  ").append(b.name()).append(" (").append(b.isolation()).append("): cannot enforce ")
                        .append(missing.stream().map(Requirement::part).collect(Collectors.joining(", ")));
                continue;
            }
            Availability a = probe(b);
            if (a.available() && (!a.emulated() || allowEmulated)) {
                return b;
            }
            if (a.available()) {
                why.append("\n  ").append(b.name()).append(" (").append(b.isolation()).append("): ")
                        .append(passedOver(b.name()));
                continue;
            }
            why.append("\n  ").append(b.name()).append(" (").append(b.isolation()).append("): unavailable: ")
                    .append(a.reason()).append(a.fix().isEmpty() ? "" : "; fix: " + a.fix());
        }
        for (SandboxBackend b : backends.values()) {
            if (!b.isolation().autoSelectable()) {
                why.append("\n  ").append(b.name()).append(" (").append(b.isolation())
                        .append("): never chosen by auto; name it (.backend(\"").append(b.name())
                        .append("\") or --backend ").append(b.name()).append(")");
            }
        }
        candidates.forEach(b -> forget(b.name()));
        throw new BackendUnavailableException("no backend can run this sandbox here (backend=auto):"
                + (why.length() == 0 ? "\n  no backend is on the class path; add sandbox4j-backend-linux" : why.toString())
                + "\nRun 'sandbox4j doctor' for the same table.");
    }

    private static List<Requirement> missing(SandboxBackend b, List<Requirement> needs) {
        return needs.stream().filter(r -> !b.capabilities().contains(r.capability())).toList();
    }

    private UnsupportedPolicyException unsupported(String backend, List<Requirement> missing) {
        List<UnsupportedPolicyException.Part> parts = new ArrayList<>();
        StringBuilder msg = new StringBuilder("backend '").append(backend)
                .append("' cannot enforce every part of the policy, so the sandbox was not made:");
        for (Requirement r : missing) {
            List<String> could = backends.values().stream().filter(b -> b.capabilities().contains(r.capability()))
                    .map(SandboxBackend::name).sorted().toList();
            parts.add(new UnsupportedPolicyException.Part(r.part(), r.capability().name(), could));
            msg.append("\n  ").append(r.part()).append(" (needs ").append(r.capability()).append("): ")
                    .append(could.isEmpty() ? "no installed backend can enforce it" : "enforced by " + String.join(", ", could));
        }
        msg.append("\nChoose one of those backends, or relax the policy (for example IsolationPolicy.permissive()).");
        return new UnsupportedPolicyException(backend, parts, msg.toString());
    }

    /** probe() must not throw; a backend that does is reported unavailable with its exception. */
    public static Availability safeProbe(SandboxBackend b) {
        try {
            Availability a = b.probe();
            return a != null ? a : Availability.unavailable("probe() returned null", "report a bug in " + b.getClass().getName());
        } catch (RuntimeException | LinkageError e) {
            return Availability.unavailable("probe() failed: " + e, "report a bug in " + b.getClass().getName());
        }
    }

    /** The parts of a policy and image that {@code b} cannot enforce, as text; empty when it can enforce all. */
    public static List<String> unenforceable(SandboxBackend b, IsolationPolicy policy, SandboxImage image) {
        return missing(b, PolicyRequirements.of(policy, image)).stream()
                .map(r -> r.part() + " (needs " + r.capability() + ")").toList();
    }
}
