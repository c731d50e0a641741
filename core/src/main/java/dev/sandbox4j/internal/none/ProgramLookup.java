package dev.sandbox4j.internal.none;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Finds out, as {@code execvp} and a shell would, whether a program can be run, so that a missing
 * program is a result with a shell's exit status rather than an exception.
 */
final class ProgramLookup {
    /** execvp's search path when PATH is unset. */
    private static final String DEFAULT_PATH = "/bin:/usr/bin";

    /** Why a program cannot run: the exit status and the shell's message. */
    record Failure(int exitCode, String message) {
    }

    private ProgramLookup() {
    }

    /** Empty when {@code program} can be started; else the shell's answer. */
    static Optional<Failure> check(String program, Map<String, String> env, Path workdir) {
        try {
            if (program.contains("/")) {
                Path p = workdir.resolve(program);
                if (!Files.exists(p)) {
                    return Optional.of(new Failure(127, program + ": No such file or directory"));
                }
                if (Files.isDirectory(p)) {
                    return Optional.of(new Failure(126, program + ": Is a directory"));
                }
                if (!Files.isExecutable(p)) {
                    return Optional.of(new Failure(126, program + ": Permission denied"));
                }
                return Optional.empty();
            }
            boolean sawUnrunnable = false;
            for (String dir : env.getOrDefault("PATH", DEFAULT_PATH).split(":", -1)) {
                Path p = (dir.isEmpty() ? workdir : workdir.resolve(dir)).resolve(program);
                if (Files.isRegularFile(p)) {
                    if (Files.isExecutable(p)) {
                        return Optional.empty();
                    }
                    sawUnrunnable = true;
                }
            }
            return Optional.of(sawUnrunnable ? new Failure(126, program + ": Permission denied")
                    : new Failure(127, program + ": command not found"));
        } catch (InvalidPathException e) {
            return Optional.of(new Failure(127, program + ": command not found"));
        }
    }
}
