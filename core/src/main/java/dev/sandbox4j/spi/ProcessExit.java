package dev.sandbox4j.spi;

import dev.sandbox4j.ResourceUsage;
import java.util.OptionalInt;

/**
 * How a sandboxed process ended.
 *
 * @param exitCode its status, {@code 128 + signal} when a signal ended it
 * @param signal   the signal that ended it, if one did
 * @param usage    what it used, where measured
 */
public record ProcessExit(int exitCode, OptionalInt signal, ResourceUsage usage) {
    public static ProcessExit of(int exitCode) {
        return new ProcessExit(exitCode, exitCode > 128 && exitCode < 128 + 65 ? OptionalInt.of(exitCode - 128)
                : OptionalInt.empty(), ResourceUsage.unknown());
    }
}
