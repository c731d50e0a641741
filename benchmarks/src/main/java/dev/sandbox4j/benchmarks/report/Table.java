package dev.sandbox4j.benchmarks.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** A Markdown table, and the number formats the report uses. Not thread-safe. */
final class Table {
    private final List<String> header;
    private final List<List<String>> rows = new ArrayList<>();

    Table(String... header) {
        this.header = List.of(header);
    }

    Table row(String... cells) {
        if (cells.length != header.size()) {
            throw new IllegalArgumentException("row of " + cells.length + " cells for " + header.size() + " columns");
        }
        rows.add(List.of(cells));
        return this;
    }

    boolean isEmpty() {
        return rows.isEmpty();
    }

    String render() {
        StringBuilder b = new StringBuilder();
        line(b, header);
        b.append('|');
        header.forEach(h -> b.append(" --- |"));
        b.append('\n');
        rows.forEach(r -> line(b, r));
        return b.toString();
    }

    private static void line(StringBuilder b, List<String> cells) {
        b.append('|');
        cells.forEach(c -> b.append(' ').append(c.replace("|", "\\|").replace("\n", " ")).append(" |"));
        b.append('\n');
    }

    /** Three significant digits, no exponent: 0.123, 1.23, 12.3, 123, 1234. */
    static String num(double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return "n/a";
        }
        if (v == 0) {
            return "0";
        }
        double a = Math.abs(v);
        String f = a >= 100 ? "%.0f" : a >= 10 ? "%.1f" : a >= 1 ? "%.2f" : "%.3f";
        return String.format(Locale.ROOT, f, v);
    }

    /** A ratio: 3.42x. */
    static String ratio(double v) {
        return Double.isNaN(v) || Double.isInfinite(v) ? "n/a" : String.format(Locale.ROOT, "%.2fx", v);
    }

    /** mean ± error, the error left out when JMH had too few iterations to give one. */
    static String meanError(JmhRow r) {
        return Double.isNaN(r.error()) ? num(r.mean()) : num(r.mean()) + " ± " + num(r.error());
    }

    static String code(String s) {
        return "`" + s.replace("`", "'") + "`";
    }

    /** The first line of a reason, cut at {@code max} characters: probe messages can be pages long. */
    static String shorten(String s, int max) {
        String line = s.strip();
        int nl = line.indexOf('\n');
        if (nl >= 0) {
            line = line.substring(0, nl);
        }
        return line.length() <= max ? line : line.substring(0, max) + " …";
    }
}
