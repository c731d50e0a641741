package dev.sandbox4j.testkit;

import dev.sandbox4j.BackendInfo;
import dev.sandbox4j.Sandbox;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * The availability gate of every test that needs a backend: skips the test with the backend's
 * {@code probe()} reason and fix when the backend is missing or unavailable here, or fails it when the
 * environment variable {@value #REQUIRE_ENV} names the backend (comma-separated names, or {@code all}):
 * CI sets it so that a backend it installed can never be skipped silently.
 *
 * <p>Backend modules call {@link #assumeAvailable(String)} from their own tests' {@code @BeforeAll} or
 * {@code @BeforeEach}. Stateless and thread-safe.
 */
public final class BackendRequirement {
    /** The environment variable that turns a skip of the named backends into a failure. */
    public static final String REQUIRE_ENV = "SANDBOX4J_REQUIRE";

    private BackendRequirement() {
    }

    /**
     * Returns the backend's description when it is on the class path and available; otherwise aborts the
     * calling test (JUnit assumption: reported as skipped, with the reason and the fix) or, when
     * {@value #REQUIRE_ENV} names it, fails it with the same text.
     */
    public static BackendInfo assumeAvailable(String name) {
        Optional<BackendInfo> info = Sandbox.backends().stream().filter(b -> b.name().equals(name)).findFirst();
        String problem;
        if (info.isEmpty()) {
            problem = name + " unavailable: no backend of that name is on the class path (found: "
                    + Sandbox.backends().stream().map(BackendInfo::name).toList()
                    + "); fix: add the module that provides it to the test class path";
        } else if (!info.get().availability().available()) {
            problem = name + " unavailable: " + info.get().availability().reason() + "; fix: "
                    + (info.get().availability().fix().isEmpty() ? "(the backend gives none)" : info.get().availability().fix());
        } else {
            return info.get();
        }
        if (required(name)) {
            Assertions.fail(problem + " [" + REQUIRE_ENV + "=" + System.getenv(REQUIRE_ENV)
                    + " requires this backend, so this is a failure, not a skip]");
        }
        Assumptions.abort(problem);
        throw new AssertionError("unreachable: Assumptions.abort returned");
    }

    /** True when {@value #REQUIRE_ENV} names {@code name} or is {@code all}. */
    public static boolean required(String name) {
        return requiredNames(System.getenv(REQUIRE_ENV)).stream().anyMatch(n -> n.equals("all") || n.equals(name.toLowerCase(Locale.ROOT)));
    }

    static List<String> requiredNames(String envValue) {
        if (envValue == null || envValue.isBlank()) {
            return List.of();
        }
        return Arrays.stream(envValue.split(",")).map(s -> s.trim().toLowerCase(Locale.ROOT)).filter(s -> !s.isEmpty())
                .toList();
    }
}
