package dev.sandbox4j.cli;

import dev.sandbox4j.InvalidInputException;
import dev.sandbox4j.IsolationPolicy;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * Where {@code run}'s policy starts from, before the flags adjust it: a preset or a JSON file, not both
 * (picocli refuses both as mutually exclusive). Neither: {@link IsolationPolicy#strict()}, the library's default.
 */
final class PolicySource {

    @Option(names = "--preset", paramLabel = "PRESET",
            description = "Start from a preset: ${COMPLETION-CANDIDATES} (default: strict).")
    Preset preset;

    @Option(names = "--policy", paramLabel = "FILE.json",
            description = "Start from a policy in JSON (IsolationPolicy.fromJson; fields left out keep the"
                    + " values of its \"preset\", strict by default).")
    Path policyFile;

    /** @throws InvalidInputException an unreadable or invalid policy file, named */
    static IsolationPolicy base(PolicySource source) {
        if (source == null) {
            return IsolationPolicy.strict();
        }
        if (source.preset != null) {
            return source.preset.policy();
        }
        return read(source.policyFile);
    }

    private static IsolationPolicy read(Path file) {
        String json;
        try {
            json = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new InvalidInputException("--policy " + file + ": cannot read it (" + e + "); give a readable JSON file", e);
        }
        try {
            return IsolationPolicy.fromJson(json);
        } catch (InvalidInputException e) {
            throw new InvalidInputException("--policy " + file + ": " + e.getMessage(), e);
        }
    }
}
