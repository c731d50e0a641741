package dev.sandbox4j.internal.json;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sandbox4j.DataSize;
import dev.sandbox4j.Durations;
import dev.sandbox4j.InvalidInputException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * One JSON object of a policy with its path ({@code limits}, {@code filesystem.mounts[2]}): checks its
 * field names and reads typed values, naming the path in every error.
 */
final class JsonPart {
    private final JsonNode node;
    private final String path;

    private JsonPart(JsonNode node, String path) {
        this.node = node;
        this.path = path;
    }

    /** {@code n} as an object whose fields are all in {@code known}; {@code what} names it in errors. */
    static JsonPart object(JsonNode n, String path, String what, List<String> known) {
        if (n == null || !n.isObject()) {
            throw error(path, "expected an object with fields " + String.join(", ", known) + ", got " + describe(n));
        }
        for (Map.Entry<String, JsonNode> e : n.properties()) {
            if (!known.contains(e.getKey())) {
                throw new InvalidInputException(PolicyJson.PREFIX + "unknown field '" + child(path, e.getKey())
                        + "'; known fields of " + what + ": " + String.join(", ", known));
            }
        }
        return new JsonPart(n, path);
    }

    static String child(String path, String field) {
        return path.isEmpty() ? field : path + "." + field;
    }

    String path(String field) {
        return child(path, field);
    }

    boolean has(String field) {
        return node.has(field);
    }

    JsonNode get(String field) {
        return node.get(field);
    }

    boolean bool(String field) {
        JsonNode v = node.get(field);
        if (!v.isBoolean()) {
            throw error(path(field), "expected true or false, got " + describe(v));
        }
        return v.booleanValue();
    }

    String string(String field, String expected) {
        JsonNode v = node.get(field);
        if (!v.isTextual()) {
            throw error(path(field), "expected " + expected + ", got " + describe(v));
        }
        return v.textValue();
    }

    /** A value named case-insensitively after one of the enum's constants. */
    <E extends Enum<E>> E choice(String field, Class<E> type) {
        String names = Arrays.stream(type.getEnumConstants()).map(c -> c.name().toLowerCase(Locale.ROOT))
                .collect(Collectors.joining(", "));
        String text = string(field, "one of " + names);
        for (E c : type.getEnumConstants()) {
            if (c.name().equalsIgnoreCase(text)) {
                return c;
            }
        }
        throw error(path(field), "'" + text + "' is not one of " + names);
    }

    /** A whole number, or {@code null} for none. */
    OptionalInt optionalInt(String field, String nullMeans) {
        JsonNode v = node.get(field);
        if (v.isNull()) {
            return OptionalInt.empty();
        }
        if (!v.isIntegralNumber()) {
            throw error(path(field), "expected a whole number or null (" + nullMeans + "), got " + describe(v));
        }
        if (!v.canConvertToInt()) {
            throw error(path(field), v.asText() + " is too large (at most " + Integer.MAX_VALUE + ")");
        }
        return OptionalInt.of(v.intValue());
    }

    /** A number, or {@code null} for no limit. */
    OptionalDouble optionalDouble(String field) {
        JsonNode v = node.get(field);
        if (v.isNull()) {
            return OptionalDouble.empty();
        }
        if (!v.isNumber()) {
            throw error(path(field), "expected a number (e.g. 1.5) or null (no limit), got " + describe(v));
        }
        return OptionalDouble.of(v.doubleValue());
    }

    /** A size, or {@code null} for no limit. */
    Optional<DataSize> optionalSize(String field) {
        return node.get(field).isNull() ? Optional.empty() : Optional.of(size(field));
    }

    /** A size string ({@code "512m"}) or a whole number of bytes. */
    DataSize size(String field) {
        JsonNode v = node.get(field);
        String at = path(field);
        if (v.isTextual()) {
            return at(at, () -> DataSize.parse(v.textValue()));
        }
        if (v.isIntegralNumber() && v.canConvertToLong()) {
            return at(at, () -> DataSize.ofBytes(v.longValue()));
        }
        if (v.isIntegralNumber()) {
            throw error(at, v.asText() + " bytes is too large");
        }
        throw error(at, "expected a size such as \"512m\", \"1g\" or a whole number of bytes, got " + describe(v));
    }

    /** A duration string ({@code "30s"}, {@code "PT30S"}). */
    Duration duration(String field) {
        String text = string(field, "a duration such as \"500ms\", \"30s\", \"2m\" or \"PT30S\"");
        try {
            return at(path(field), () -> Durations.parse(text));
        } catch (ArithmeticException e) {
            throw new InvalidInputException(PolicyJson.PREFIX + path(field) + ": '" + text + "' is too large", e);
        }
    }

    /** An array of strings. */
    List<String> strings(String field) {
        JsonNode v = node.get(field);
        String at = path(field);
        if (!v.isArray()) {
            throw error(at, "expected an array of strings, got " + describe(v));
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            JsonNode e = v.get(i);
            if (!e.isTextual()) {
                throw error(at + "[" + i + "]", "expected a string, got " + describe(e));
            }
            out.add(e.textValue());
        }
        return out;
    }

    /** An object whose values are all strings, in the order given. */
    Map<String, String> stringMap(String field) {
        JsonNode v = node.get(field);
        String at = path(field);
        if (!v.isObject()) {
            throw error(at, "expected an object of names to string values, got " + describe(v));
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : v.properties()) {
            if (!e.getValue().isTextual()) {
                throw error(at + "." + e.getKey(), "expected a string, got " + describe(e.getValue()));
            }
            out.put(e.getKey(), e.getValue().textValue());
        }
        return out;
    }

    /**
     * Runs a record's constructor or a parser for the value at {@code path}; its refusal becomes an error
     * naming the path (once: a message that already starts with the path is only prefixed). Other
     * exceptions pass through for the caller to word.
     */
    static <T> T at(String path, Supplier<T> make) {
        try {
            return make.get();
        } catch (InvalidInputException e) {
            String m = e.getMessage();
            if (m.startsWith(PolicyJson.PREFIX)) {
                throw e;
            }
            boolean named = !path.isEmpty() && (m.startsWith(path + ":") || m.startsWith(path + ".")
                    || m.startsWith(path + "["));
            throw new InvalidInputException(PolicyJson.PREFIX + (named || path.isEmpty() ? m : path + ": " + m), e);
        }
    }

    static InvalidInputException error(String path, String message) {
        return new InvalidInputException(PolicyJson.PREFIX + (path.isEmpty() ? "" : path + ": ") + message);
    }

    static String describe(JsonNode v) {
        if (v == null || v.isMissingNode()) {
            return "nothing";
        } else if (v.isNull()) {
            return "null";
        } else if (v.isTextual()) {
            String t = v.textValue();
            return "the string \"" + (t.length() > 40 ? t.substring(0, 40) + "..." : t) + "\"";
        } else if (v.isBoolean()) {
            return "the boolean " + v.booleanValue();
        } else if (v.isNumber()) {
            return "the number " + v.asText();
        } else if (v.isArray()) {
            return "an array";
        } else if (v.isObject()) {
            return "an object";
        }
        return v.getNodeType().toString().toLowerCase(Locale.ROOT);
    }
}
