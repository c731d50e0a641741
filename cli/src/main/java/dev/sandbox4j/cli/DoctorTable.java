package dev.sandbox4j.cli;

import dev.sandbox4j.BackendInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The text of {@code doctor}, at most {@link #WIDTH} columns a line: the backend, its isolation and whether
 * it is available in columns, and beside them the reason, the fix and why {@code auto} passes it over,
 * wrapped at word boundaries (a word longer than the column, a long path say, is cut). The full texts
 * are in {@code doctor --json}. Stateless.
 */
final class DoctorTable {
    /** The widest line doctor prints: 100 columns, what a terminal beside an editor shows. */
    static final int WIDTH = 100;
    private static final String[] HEADINGS = {"BACKEND", "ISOLATION", "AVAILABLE", "REASON AND FIX"};
    private static final int GAP = 2;
    /** The text column gets at least this many columns, however long a name is. */
    private static final int MIN_TEXT = 30;

    private DoctorTable() {
    }

    /** The table: a heading line, then each backend's first line and its continuation lines. */
    static List<String> lines(List<BackendInfo> backends) {
        List<String[]> rows = new ArrayList<>();
        for (BackendInfo b : backends) {
            rows.add(new String[] {b.name(), b.isolation().name(), available(b)});
        }
        int[] width = new int[3];
        for (int i = 0; i < 3; i++) {
            width[i] = HEADINGS[i].length();
            for (String[] row : rows) {
                width[i] = Math.max(width[i], row[i].length());
            }
        }
        // a name too long for the table gets a line of its own above its row
        width[0] = Math.min(width[0], WIDTH - MIN_TEXT - width[1] - width[2] - 3 * GAP);
        int indent = width[0] + width[1] + width[2] + 3 * GAP;
        List<String> out = new ArrayList<>();
        out.add(pad(HEADINGS[0], width[0] + GAP) + pad(HEADINGS[1], width[1] + GAP) + pad(HEADINGS[2], width[2] + GAP)
                + HEADINGS[3]);
        for (int r = 0; r < rows.size(); r++) {
            String[] row = rows.get(r);
            List<String> text = new ArrayList<>();
            for (String paragraph : paragraphs(backends.get(r))) {
                text.addAll(wrap(paragraph, WIDTH - indent));
            }
            String name = row[0];
            if (name.length() > width[0]) {
                out.addAll(wrap(name, WIDTH));
                name = "";
            }
            String columns = pad(name, width[0] + GAP) + pad(row[1], width[1] + GAP) + pad(row[2], width[2] + GAP);
            out.add((columns + text.get(0)).stripTrailing());
            for (int i = 1; i < text.size(); i++) {
                out.add(" ".repeat(indent) + text.get(i));
            }
        }
        return out;
    }

    /** {@code line} wrapped at {@link #WIDTH}, continuation lines indented 4 columns past its own indent. */
    static List<String> wrapIndented(String line) {
        int lead = line.length() - line.stripLeading().length();
        int cont = Math.min(lead + 4, WIDTH - MIN_TEXT);
        List<String> first = wrap(line.strip(), WIDTH - lead);
        List<String> out = new ArrayList<>();
        out.add(" ".repeat(lead) + first.get(0));
        String rest = String.join(" ", first.subList(1, first.size()));
        if (!rest.isEmpty()) {
            for (String l : wrap(rest, WIDTH - cont)) {
                out.add(" ".repeat(cont) + l);
            }
        }
        return out;
    }

    /** yes, no, or emulated: available but under software emulation, which auto passes over. */
    static String available(BackendInfo b) {
        if (!b.availability().available()) {
            return "no";
        }
        return b.availability().emulated() ? "emulated" : "yes";
    }

    /** The reason, {@code fix: ...} when there is one, and why auto passes an emulated backend over. */
    static List<String> paragraphs(BackendInfo b) {
        List<String> p = new ArrayList<>();
        p.add(oneLine(b.availability().reason()));
        if (!b.availability().fix().isBlank()) {
            p.add("fix: " + oneLine(b.availability().fix()));
        }
        passedOver(b).ifPresent(p::add);
        return p;
    }

    /** Why auto passes this backend over though it is available, and how to use it anyway; empty when it does not. */
    static Optional<String> passedOver(BackendInfo b) {
        if (!b.availability().available() || !b.availability().emulated()) {
            return Optional.empty();
        }
        return Optional.of("passed over by auto: runs under software emulation, several times slower;"
                + " name it with --backend " + b.name() + " (Java: .backend(\"" + b.name() + "\")), or let auto"
                + " choose it with the builder option auto.allowEmulated=true");
    }

    /** Words of {@code text} in lines of at most {@code width} columns; a longer word is cut. Never empty. */
    static List<String> wrap(String text, int width) {
        List<String> lines = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        for (String word : text.strip().split(" +")) {
            while (word.length() > width) {
                if (line.length() > 0) {
                    lines.add(line.toString());
                    line.setLength(0);
                }
                lines.add(word.substring(0, width));
                word = word.substring(width);
            }
            if (line.length() > 0 && line.length() + 1 + word.length() > width) {
                lines.add(line.toString());
                line.setLength(0);
            }
            if (line.length() > 0) {
                line.append(' ');
            }
            line.append(word);
        }
        if (line.length() > 0 || lines.isEmpty()) {
            lines.add(line.toString());
        }
        return lines;
    }

    private static String oneLine(String s) {
        return s.replace('\n', ' ').strip();
    }

    private static String pad(String s, int width) {
        return s.length() >= width ? s : s + " ".repeat(width - s.length());
    }
}
