package dev.sandbox4j;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads and writes durations in the short form the CLI and policy JSON use: {@code 500ms}, {@code 10s},
 * {@code 2m}, {@code 1h}, or ISO-8601 ({@code PT30S}). Stateless and thread-safe.
 */
public final class Durations {
    private static final Pattern FORM = Pattern.compile("(\\d+)\\s*(ms|s|m|h)", Pattern.CASE_INSENSITIVE);

    private Durations() {
    }

    /**
     * @throws InvalidInputException for a negative, empty or unknown form, naming the text
     */
    public static Duration parse(String text) {
        if (text == null || text.isBlank()) {
            throw new InvalidInputException("Durations.parse: no duration given; use a form like 500ms, 10s, 2m");
        }
        String t = text.trim();
        if (t.startsWith("P") || t.startsWith("p")) {
            try {
                Duration d = Duration.parse(t);
                if (d.isNegative()) {
                    throw new InvalidInputException("Durations.parse: '" + text + "' is negative");
                }
                return d;
            } catch (DateTimeParseException e) {
                throw new InvalidInputException("Durations.parse: '" + text + "' is not an ISO-8601 duration", e);
            }
        }
        Matcher m = FORM.matcher(t);
        if (!m.matches()) {
            throw new InvalidInputException("Durations.parse: '" + text
                    + "' is not a duration; use a whole number with a unit ms, s, m or h (e.g. 500ms, 10s, 2m)");
        }
        long n;
        try {
            n = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            throw new InvalidInputException("Durations.parse: '" + text + "' is too large", e);
        }
        try {
            return switch (m.group(2).toLowerCase(Locale.ROOT)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                default -> Duration.ofHours(n);
            };
        } catch (ArithmeticException e) {
            throw new InvalidInputException("Durations.parse: '" + text + "' is too large", e);
        }
    }

    /** The shortest exact short form: {@code 1500ms}, {@code 30s}, {@code 2m}, {@code 1h}. */
    public static String format(Duration d) {
        long ms = d.toMillis();
        if (ms % 3_600_000 == 0 && ms > 0) {
            return ms / 3_600_000 + "h";
        }
        if (ms % 60_000 == 0 && ms > 0) {
            return ms / 60_000 + "m";
        }
        if (ms % 1000 == 0) {
            return ms / 1000 + "s";
        }
        return ms + "ms";
    }
}
