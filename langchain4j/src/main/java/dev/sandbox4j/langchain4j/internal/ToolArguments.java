package dev.sandbox4j.langchain4j.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A tool call's JSON arguments, checked against the tool's parameters (all strings): what is wrong is
 * told to the model with the tool's name and the shape it expects ({@code {"command": "..."}}), not with
 * a JSON parser's message. Extra keys are ignored. Thread-safe (the mapper is only read).
 */
public final class ToolArguments {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int SHOWN = 200;

    private ToolArguments() {
    }

    /** Bad arguments, with the text for the model. */
    public static final class Invalid extends Exception {
        private static final long serialVersionUID = 1L;

        Invalid(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * The string value of each of {@code params}, in order.
     *
     * @throws Invalid when the arguments are not a JSON object with a string for every parameter
     */
    public static Map<String, String> parse(String tool, List<String> params, String arguments) throws Invalid {
        String shape = params.stream().map(p -> "\"" + p + "\": \"...\"").collect(Collectors.joining(", ", "{", "}"));
        String start = tool + ": the arguments must be a JSON object " + shape + "; ";
        JsonNode node;
        try {
            node = arguments == null || arguments.isBlank() ? JSON.createObjectNode() : JSON.readTree(arguments);
        } catch (JsonProcessingException e) {
            throw new Invalid(start + "what was sent is not valid JSON: " + shown(arguments));
        }
        if (node == null || !node.isObject()) {
            throw new Invalid(start + "what was sent is " + kind(node) + ": " + shown(arguments));
        }
        Map<String, String> values = new LinkedHashMap<>();
        for (String p : params) {
            JsonNode v = node.get(p);
            if (v == null || v.isNull()) {
                throw new Invalid(start + "\"" + p + "\" is missing" + (node.size() == 0 ? ""
                        : " (sent: " + shown(arguments) + ")"));
            }
            if (!v.isTextual()) {
                throw new Invalid(start + "\"" + p + "\" is " + kind(v) + ", not a string");
            }
            values.put(p, v.textValue());
        }
        return values;
    }

    private static String kind(JsonNode n) {
        if (n == null || n.isMissingNode() || n.isNull()) {
            return "null";
        }
        if (n.isArray()) {
            return "an array";
        }
        if (n.isObject()) {
            return "an object";
        }
        if (n.isNumber()) {
            return "a number";
        }
        if (n.isBoolean()) {
            return "a boolean";
        }
        return "a string";
    }

    private static String shown(String arguments) {
        String a = arguments == null ? "" : arguments.strip();
        return a.length() <= SHOWN ? a : a.substring(0, SHOWN) + "... (" + a.length() + " characters)";
    }
}
