package dev.sandbox4j;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An amount of bytes. Binary units: {@code 1k = 1 KiB = 1024 bytes}, {@code 1m = 1 MiB}, {@code 1g = 1 GiB}.
 * Immutable and thread-safe.
 *
 * @param bytes the size in bytes, never negative
 */
public record DataSize(long bytes) implements Comparable<DataSize> {

    private static final Pattern FORM = Pattern.compile("(\\d+)\\s*([kmgt]?)(i?b)?", Pattern.CASE_INSENSITIVE);

    public DataSize {
        if (bytes < 0) {
            throw new InvalidInputException("DataSize: " + bytes + " bytes is negative; give a size of 0 or more");
        }
    }

    public static DataSize ofBytes(long bytes) {
        return new DataSize(bytes);
    }

    public static DataSize ofKiB(long kib) {
        return new DataSize(scaled(kib, 1024L, "KiB"));
    }

    public static DataSize ofMiB(long mib) {
        return new DataSize(scaled(mib, 1024L * 1024, "MiB"));
    }

    public static DataSize ofGiB(long gib) {
        return new DataSize(scaled(gib, 1024L * 1024 * 1024, "GiB"));
    }

    private static long scaled(long n, long unit, String name) {
        try {
            return Math.multiplyExact(n, unit);
        } catch (ArithmeticException e) {
            throw new InvalidInputException("DataSize.of" + name + ": " + n + " " + name + " is too large", e);
        }
    }

    /**
     * Parses {@code 100}, {@code 64k}, {@code 512m}, {@code 1g}, {@code 2t}, also with {@code KiB}/{@code KB}
     * suffixes (both read as binary units).
     *
     * @throws InvalidInputException for anything else, naming the text and the accepted forms
     */
    public static DataSize parse(String text) {
        if (text == null) {
            throw new InvalidInputException("DataSize.parse: no text given; use a form like 512m or 1g");
        }
        Matcher m = FORM.matcher(text.trim());
        if (!m.matches()) {
            throw new InvalidInputException("DataSize.parse: '" + text
                    + "' is not a size; use a whole number with an optional unit k, m, g or t (e.g. 512m, 1g, 64KiB)");
        }
        long n;
        try {
            n = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            throw new InvalidInputException("DataSize.parse: '" + text + "' is too large", e);
        }
        int shift = switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "k" -> 10;
            case "m" -> 20;
            case "g" -> 30;
            case "t" -> 40;
            default -> 0;
        };
        if (shift > 0 && n > (Long.MAX_VALUE >> shift)) {
            throw new InvalidInputException("DataSize.parse: '" + text + "' is too large");
        }
        return new DataSize(n << shift);
    }

    public long toKiB() {
        return bytes >> 10;
    }

    public long toMiB() {
        return bytes >> 20;
    }

    @Override
    public int compareTo(DataSize other) {
        return Long.compare(bytes, other.bytes);
    }

    /** The largest exact binary unit: {@code 512m}, {@code 1g}, {@code 1500}; {@link #parse} reads it back. */
    @Override
    public String toString() {
        String[] units = {"t", "g", "m", "k"};
        int[] shifts = {40, 30, 20, 10};
        for (int i = 0; i < units.length; i++) {
            long unit = 1L << shifts[i];
            if (bytes >= unit && bytes % unit == 0) {
                return (bytes >> shifts[i]) + units[i];
            }
        }
        return Long.toString(bytes);
    }
}
