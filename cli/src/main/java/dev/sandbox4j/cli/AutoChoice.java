package dev.sandbox4j.cli;

import dev.sandbox4j.BackendInfo;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.SandboxException;
import dev.sandbox4j.SandboxImage;
import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * What {@code backend("auto")} would pick for the strict policy on the host image, asked of
 * {@link Sandbox#choose} without opening anything.
 *
 * @param backend the backend auto would choose; empty when none fits
 * @param why     when none fits: the library's explanation (one line per backend); else empty
 */
record AutoChoice(Optional<String> backend, String why) {

    static final String POLICY = "strict";

    static AutoChoice forStrictPolicy() {
        try {
            BackendInfo chosen = Sandbox.choose("auto", IsolationPolicy.strict(), SandboxImage.host());
            return new AutoChoice(Optional.of(chosen.name()), "");
        } catch (SandboxException e) {
            // the library's message ends by pointing at doctor, which is where this is printed
            String why = Arrays.stream(e.getMessage().split("\n"))
                    .filter(line -> !line.startsWith("Run 'sandbox4j doctor'"))
                    .collect(Collectors.joining("\n"));
            return new AutoChoice(Optional.empty(), why);
        }
    }

    /** {@code auto would choose: bubblewrap (strict policy)} or {@code auto would choose: none fits — ...}. */
    String line() {
        return backend.map(b -> "auto would choose: " + b + " (" + POLICY + " policy)")
                .orElse("auto would choose: none fits — " + why);
    }
}
