package dev.sandbox4j.internal.select;

import dev.sandbox4j.BackendInfo;
import dev.sandbox4j.BackendUnavailableException;
import dev.sandbox4j.InvalidInputException;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.SandboxImage;
import dev.sandbox4j.UnsupportedPolicyException;
import dev.sandbox4j.spi.Availability;
import dev.sandbox4j.spi.SandboxBackend;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.stream.Collectors;

/**
 * The backends found on the class path, and the choice among them: an explicit name, else the
 * {@code sandbox4j.backend} system property, else the {@code SANDBOX4J_BACKEND} environment variable,
 * else {@code auto}. Thread-safe: immutable after construction.
 */
public final class BackendRegistry {
    /** The name that asks for automatic choice. */
    public static final String AUTO = "auto";

    private static volatile BackendRegistry global;

    private final Map<String, SandboxBackend> backends;

    public BackendRegistry(List<SandboxBackend> found) {
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

    /** Every backend with a fresh probe, strongest isolation first. */
    public List<BackendInfo> describe() {
        return backends.values().stream()
                .sorted(Comparator.comparing(SandboxBackend::isolation).reversed().thenComparing(SandboxBackend::name))
                .map(b -> new BackendInfo(b.name(), b.isolation(), safeProbe(b), b.capabilities()))
                .toList();
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
            Availability a = safeProbe(b);
            if (!a.available()) {
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
            Availability a = safeProbe(b);
            if (a.available()) {
                return b;
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
