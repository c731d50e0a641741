package dev.sandbox4j.langchain4j.internal;

import dev.sandbox4j.DataSize;
import dev.sandbox4j.Durations;
import dev.sandbox4j.ExecResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns command results into the bounded text a model reads: the exit code, the notes (truncated,
 * timed out, killed by a signal and what the signal usually means inside a sandbox), then the output,
 * shortened in the middle so that both its start and its end stay visible. Stateless and thread-safe.
 */
public final class ResultText {
    /** The smallest text budget that still leaves room for the notes and a few lines of output. */
    public static final int MIN_BUDGET = 512;

    private ResultText() {
    }

    /**
     * The notes a model needs to read the result right, one line each, in the order: timeout, signal,
     * violations the sandbox reported, truncation by the sandbox's output cap.
     *
     * @param sandbox    how to name the sandbox ("the conversation's sandbox")
     * @param closed     true when the sandbox was closed while the command ran (that killed it)
     * @param violations what the sandbox reported while the command ran, as "rule: detail"
     */
    public static List<String> notes(ExecResult r, Duration timeout, DataSize cap, String sandbox, boolean closed,
                                     List<String> violations) {
        List<String> notes = new ArrayList<>();
        if (r.timedOut()) {
            notes.add("note: timed out after " + Durations.format(timeout)
                    + "; the command and every process it started were killed");
        } else if (r.signal().isPresent()) {
            int signal = r.signal().getAsInt();
            notes.add("note: " + (closed ? "killed by signal " + signal + ": " + sandbox + " was closed while it ran"
                    : signalNote(signal, violations)));
        }
        for (String v : violations) {
            notes.add("note: the sandbox reported a policy violation: " + v);
        }
        if (r.stdoutTruncated()) {
            notes.add("note: stdout passed the cap of " + cap.bytes() + " bytes; the sandbox dropped the rest");
        }
        if (r.stderrTruncated()) {
            notes.add("note: stderr passed the cap of " + cap.bytes() + " bytes; the sandbox dropped the rest");
        }
        return notes;
    }

    /** What a signal that ended a sandboxed process means, for a model that cannot look it up. */
    static String signalNote(int signal, List<String> violations) {
        boolean memory = violations.stream().anyMatch(v -> v.startsWith("limits.memory"));
        return switch (signal) {
            case 9 -> memory ? "killed by signal 9 (SIGKILL) at the sandbox's memory limit"
                    : "killed by signal 9 (SIGKILL): the sandbox's memory limit, or a process killed it";
            case 24 -> "killed by signal 24 (SIGXCPU): the sandbox's CPU time limit";
            case 25 -> "killed by signal 25 (SIGXFSZ): the sandbox's file size limit";
            case 31 -> "killed by signal 31 (SIGSYS): the sandbox's policy forbids a system call it made";
            case 6 -> "killed by signal 6 (SIGABRT): the program aborted itself";
            case 11 -> "killed by signal 11 (SIGSEGV): the program crashed";
            case 15 -> "killed by signal 15 (SIGTERM)";
            default -> "killed by signal " + signal;
        };
    }

    /**
     * Fits labelled sections ("stdout", "stderr") into {@code budget} characters after the {@code head}
     * lines, which are never cut. Each section gets an equal share, a short one handing what it does not
     * use to the others; a section longer than its share keeps its start and its end with a marker in
     * between that says how much was cut.
     */
    public static String render(List<String> head, List<Section> sections, int budget) {
        StringBuilder out = new StringBuilder();
        for (String line : head) {
            out.append(line).append('\n');
        }
        List<Section> shown = sections.stream().filter(s -> !s.text().isEmpty()).toList();
        int labels = shown.stream().mapToInt(s -> s.label().length() + 3).sum();
        int left = Math.max(0, budget - out.length() - labels);
        int[] share = shares(shown.stream().mapToInt(s -> s.text().length()).toArray(), left);
        int next = 0;
        for (Section s : sections) {
            if (s.text().isEmpty()) {
                if (s.showWhenEmpty()) {
                    out.append(s.label()).append(": (empty)\n");
                }
                continue;
            }
            out.append(s.label()).append(":\n").append(cut(s.text(), share[next++]));
            if (out.charAt(out.length() - 1) != '\n') {
                out.append('\n');
            }
        }
        return out.toString().stripTrailing();
    }

    /** Splits {@code total} characters between texts of the given lengths, as fairly as their lengths allow. */
    static int[] shares(int[] lengths, int total) {
        int[] share = new int[lengths.length];
        int left = total;
        int open = lengths.length;
        boolean[] done = new boolean[lengths.length];
        boolean changed = true;
        while (changed && open > 0) {
            changed = false;
            int each = left / open;
            for (int i = 0; i < lengths.length; i++) {
                if (!done[i] && lengths[i] <= each) {
                    share[i] = lengths[i];
                    left -= lengths[i];
                    done[i] = true;
                    open--;
                    changed = true;
                }
            }
        }
        for (int i = 0; i < lengths.length; i++) {
            if (!done[i]) {
                share[i] = left / Math.max(1, open);
            }
        }
        return share;
    }

    /**
     * {@code text} in at most {@code budget} characters: whole when it fits, else its first and last parts
     * around a marker naming how many characters were cut. Never splits a surrogate pair.
     */
    public static String cut(String text, int budget) {
        if (text.length() <= budget) {
            return text;
        }
        String probe = marker(text.length());
        int keep = budget - probe.length();
        if (keep <= 0) {
            return budget <= 0 ? "" : text.substring(0, safeEnd(text, Math.min(budget, text.length())));
        }
        int headEnd = safeEnd(text, keep - keep / 3);
        int tailStart = safeStart(text, text.length() - keep / 3);
        return text.substring(0, headEnd) + marker(tailStart - headEnd) + text.substring(tailStart);
    }

    private static String marker(int cut) {
        return "\n[... " + cut + " characters cut here ...]\n";
    }

    private static int safeEnd(String s, int end) {
        return end > 0 && end < s.length() && Character.isHighSurrogate(s.charAt(end - 1)) ? end - 1 : end;
    }

    private static int safeStart(String s, int start) {
        return start > 0 && start < s.length() && Character.isLowSurrogate(s.charAt(start)) ? start + 1 : start;
    }

    /**
     * One labelled part of a result.
     *
     * @param label         shown before the text ("stdout")
     * @param text          the text, maybe empty
     * @param showWhenEmpty true: an empty text is shown as "(empty)"; false: it is left out
     */
    public record Section(String label, String text, boolean showWhenEmpty) {
    }
}
