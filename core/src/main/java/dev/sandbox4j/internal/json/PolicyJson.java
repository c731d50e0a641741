package dev.sandbox4j.internal.json;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.sandbox4j.InvalidInputException;
import dev.sandbox4j.IsolationPolicy;

/**
 * The JSON form of an {@link IsolationPolicy}. Stateless and thread-safe (the mapper is immutable).
 *
 * <pre>{@code
 * {"preset": "strict",                      // strict (default) | standard | permissive
 *  "filesystem": {"isolated": true, "mounts": [{"host": "/data", "sandbox": "/data", "writable": false}],
 *                 "hidden": ["/etc/shadow"], "tmpfs": ["/tmp"]},
 *  "network": "none",                       // none | loopback | host
 *  "limits": {"memory": "512m", "cpus": 1.5, "pids": 128, "wallTime": "30s", "maxOutput": "1m",
 *             "fileSize": "64m", "openFiles": 256, "disk": "1g"},
 *  "syscalls": {"denied": "default", "action": "errno"},
 *  "process": {"isolatePids": true, "uid": null, "noNewPrivileges": true, "dropCapabilities": true,
 *              "keepCapabilities": []},
 *  "environment": {"variables": {"PATH": "/usr/bin:/bin"}, "inherit": ["LANG"]}}
 * }</pre>
 *
 * <p>Merging: every field left out keeps the value of the preset, field by field inside each part; a
 * list or map that is given replaces the preset's whole list or map. In {@code limits} an explicit
 * {@code null} means "no limit" ({@code wallTime} and {@code maxOutput} always have one); in
 * {@code process} a {@code null} uid means the sandbox's own user. Sizes are strings read by
 * {@link dev.sandbox4j.DataSize#parse} ({@code "512m"}) or whole numbers of bytes; durations are strings
 * read by {@link dev.sandbox4j.Durations#parse} ({@code "30s"}, {@code "PT30S"}). In a mount,
 * {@code sandbox} defaults to the host path and {@code writable} to false.
 *
 * <p>Reading is strict: unknown fields, duplicate keys, trailing content, comments and values of the
 * wrong type are refused with an {@link InvalidInputException} naming the field's path
 * ({@code limits.memory}, {@code filesystem.mounts[0].host}).
 */
public final class PolicyJson {
    static final String PREFIX = "policy JSON: ";

    static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private PolicyJson() {
    }

    /**
     * Reads a policy.
     *
     * @throws InvalidInputException malformed JSON (with line and column), an unknown field, a value of the
     *                               wrong type or a value the policy refuses, each named by its path
     */
    public static IsolationPolicy read(String json) {
        if (json == null) {
            throw new InvalidInputException(PREFIX + "no text given; give a JSON object such as {\"preset\": \"strict\"}");
        }
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
            // the parser's own words are clear; databind's only complaint here is content after the object
            String what = e instanceof MismatchedInputException
                    ? "more content after the end of the policy object; give exactly one JSON object"
                    : e.getOriginalMessage();
            throw new InvalidInputException(PREFIX + "malformed JSON" + where + ": " + what, e);
        }
        if (root == null || root.isMissingNode()) {
            throw new InvalidInputException(PREFIX + "the text is empty; give a JSON object such as {\"preset\": \"strict\"}");
        }
        return PolicyJsonReader.read(root);
    }

    /** Writes every field of {@code p}, so that {@link #read(String)} gives back an equal policy. */
    public static String write(IsolationPolicy p) {
        if (p == null) {
            throw new InvalidInputException(PREFIX + "no policy given to write");
        }
        return PolicyJsonWriter.write(p);
    }
}
