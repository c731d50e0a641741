package dev.sandbox4j.langchain4j.internal;

import java.util.Map;

/**
 * What one tool call gives back: the text the model reads, whether the call failed, and attributes for the
 * application (exit code, duration, violations; see {@code ToolResultAttributes}). Immutable.
 *
 * @param text       the text for the model
 * @param error      true for a failed call: a non-zero exit, a timeout, a kill, a refusal, bad arguments, no sandbox
 * @param attributes plain values (numbers, strings, booleans, lists of strings), never null
 */
public record ToolOutcome(String text, boolean error, Map<String, Object> attributes) {
    public ToolOutcome {
        attributes = Map.copyOf(attributes);
    }

    public static ToolOutcome ok(String text) {
        return new ToolOutcome(text, false, Map.of());
    }

    /** A failed call of kind {@code failure} ("refused", "arguments", "setup", "error"). */
    public static ToolOutcome failed(String failure, String text) {
        return new ToolOutcome(text, true, Map.of("failure", failure));
    }
}
