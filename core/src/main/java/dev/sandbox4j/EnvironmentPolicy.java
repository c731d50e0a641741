package dev.sandbox4j;

import dev.sandbox4j.internal.Validate;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The environment a command starts with. Nothing of the host's environment passes unless named in
 * {@code inherit}. Immutable and thread-safe.
 *
 * @param variables the base variables; by default {@code PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin},
 *                  {@code HOME=/tmp}, {@code LANG=C.UTF-8}, {@code TERM=dumb}
 * @param inherit   names of host variables copied in (when the host has them); a command's own
 *                  {@link Command#env(String, String)} additions win over both
 */
public record EnvironmentPolicy(Map<String, String> variables, Set<String> inherit) {

    public static final Map<String, String> DEFAULT_VARIABLES = Collections.unmodifiableMap(new LinkedHashMap<>(Map.of(
            "PATH", "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin",
            "HOME", "/tmp",
            "LANG", "C.UTF-8",
            "TERM", "dumb")));

    public EnvironmentPolicy {
        if (variables == null || inherit == null) {
            throw new InvalidInputException("environment: use Map.of() and Set.of() for none, not null");
        }
        Map<String, String> vars = new LinkedHashMap<>();
        variables.forEach((k, v) -> vars.put(Validate.envName("environment.variables", k),
                Validate.noNul("environment.variables." + k, v)));
        variables = Collections.unmodifiableMap(vars);
        Set<String> names = new TreeSet<>();
        inherit.forEach(n -> names.add(Validate.envName("environment.inherit", n)));
        inherit = Collections.unmodifiableSet(names);
    }

    /** PATH, HOME, LANG and TERM only. */
    public static EnvironmentPolicy defaults() {
        return new EnvironmentPolicy(DEFAULT_VARIABLES, Set.of());
    }

    /** A copy with {@code name=value} set. */
    public EnvironmentPolicy with(String name, String value) {
        Map<String, String> vars = new LinkedHashMap<>(variables);
        vars.put(name, value);
        return new EnvironmentPolicy(vars, inherit);
    }

    /** A copy that copies the host's {@code names} in. */
    public EnvironmentPolicy inheriting(String... names) {
        Set<String> s = new TreeSet<>(inherit);
        s.addAll(Set.of(names));
        return new EnvironmentPolicy(variables, s);
    }
}
