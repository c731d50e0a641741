package dev.sandbox4j.benchmarks.support;

import dev.sandbox4j.InvalidInputException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What one value of a benchmark's {@code backend} parameter names: {@value #HOST} (no sandbox: a bare
 * {@code ProcessBuilder} on the host, the floor every ratio is taken against), or a backend name with
 * optional backend options, written {@code name} or {@code name[key=value;key=value]} (JMH splits parameter
 * values on commas, so options are separated by semicolons), for example
 * {@code microvm[microvm.snapshot=false]} to time a cold boot next to the snapshot restore.
 *
 * @param label   the parameter value as given; the row name in the report
 * @param backend the backend name, or {@value #HOST}
 * @param options backend options passed to {@code SandboxBuilder.option}
 */
public record Target(String label, String backend, Map<String, String> options) {
    /** The pseudo-backend meaning "no sandbox": the command runs through a bare ProcessBuilder. */
    public static final String HOST = "host";

    public Target {
        options = Collections.unmodifiableMap(new LinkedHashMap<>(options));
    }

    /** Parses a parameter value; a malformed one is an error naming the expected syntax. */
    public static Target parse(String value) {
        String v = value.strip();
        int open = v.indexOf('[');
        if (open < 0) {
            if (v.isEmpty() || !v.matches("[a-z0-9][a-z0-9_.-]*")) {
                throw bad(value);
            }
            return new Target(v, v, Map.of());
        }
        if (!v.endsWith("]") || open == 0) {
            throw bad(value);
        }
        String name = v.substring(0, open);
        Map<String, String> options = new LinkedHashMap<>();
        for (String pair : v.substring(open + 1, v.length() - 1).split(";")) {
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw bad(value);
            }
            options.put(pair.substring(0, eq).strip(), pair.substring(eq + 1).strip());
        }
        return new Target(v, name, options);
    }

    public boolean isHost() {
        return backend.equals(HOST);
    }

    private static InvalidInputException bad(String value) {
        return new InvalidInputException("benchmark parameter backend: '" + value + "' is not a target; write "
                + HOST + ", a backend name (bubblewrap) or name[option=value;option=value]");
    }
}
