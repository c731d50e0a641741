package dev.sandbox4j;

import dev.sandbox4j.internal.Validate;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One command to run in a sandbox: an argv executed directly (no shell unless {@link #shell(String)}),
 * with optional environment additions, working directory, stdin bytes, timeout and output cap. Immutable
 * and thread-safe; the {@code with}-style methods return copies.
 *
 * @param argv      program and arguments; the program is looked up in the sandbox's PATH
 * @param env       variables added on top of the policy's environment (they win)
 * @param workdir   absolute working directory inside the sandbox; empty: the workspace
 * @param stdin     bytes fed to stdin, then EOF; empty: {@code exec} gives an empty stdin and
 *                  {@code start} leaves {@link Execution#stdin()} open for the caller
 * @param timeout   wall-clock timeout; empty: the policy's {@code limits.wallTime}
 * @param maxOutput cap per output stream; empty: the policy's {@code limits.maxOutput}
 */
public record Command(List<String> argv, Map<String, String> env, Optional<String> workdir, Optional<byte[]> stdin,
                      Optional<Duration> timeout, Optional<DataSize> maxOutput) {

    public Command {
        if (argv == null || argv.isEmpty()) {
            throw new InvalidInputException("Command: no program given; use Command.of(\"program\", \"arg\"...)");
        }
        for (int i = 0; i < argv.size(); i++) {
            if (argv.get(i) == null) {
                throw new InvalidInputException("Command: argument " + i + " is null; give a string (\"\" for empty)");
            }
            Validate.noNul("Command argument " + i, argv.get(i));
        }
        argv = List.copyOf(argv);
        if (argv.get(0).isEmpty()) {
            throw new InvalidInputException("Command: the program name is empty");
        }
        Map<String, String> e = new LinkedHashMap<>();
        env.forEach((k, v) -> e.put(Validate.envName("Command.env", k), Validate.noNul("Command.env." + k, v)));
        env = Collections.unmodifiableMap(e);
        workdir = workdir.map(w -> Validate.sandboxPath("Command.workdir", w));
        stdin = stdin.map(byte[]::clone);
        if (timeout.isPresent() && (timeout.get().isNegative() || timeout.get().isZero())) {
            throw new InvalidInputException("Command.timeout: " + timeout.get() + " must be positive (e.g. Duration.ofSeconds(5))");
        }
    }

    public static Command of(String... argv) {
        return of(List.of(argv));
    }

    public static Command of(List<String> argv) {
        return new Command(argv, Map.of(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
    }

    /** {@code /bin/sh -c script}: a shell runs the script inside the sandbox. */
    public static Command shell(String script) {
        return of("/bin/sh", "-c", script);
    }

    public Command env(String name, String value) {
        Map<String, String> e = new LinkedHashMap<>(env);
        e.put(name, value);
        return new Command(argv, e, workdir, stdin, timeout, maxOutput);
    }

    public Command workdir(String dir) {
        return new Command(argv, env, Optional.of(dir), stdin, timeout, maxOutput);
    }

    public Command stdin(byte[] bytes) {
        return new Command(argv, env, workdir, Optional.of(bytes), timeout, maxOutput);
    }

    public Command stdin(String text) {
        return stdin(text.getBytes(StandardCharsets.UTF_8));
    }

    public Command timeout(Duration d) {
        return new Command(argv, env, workdir, stdin, Optional.of(d), maxOutput);
    }

    public Command maxOutput(DataSize size) {
        return new Command(argv, env, workdir, stdin, timeout, Optional.of(size));
    }

    /** The stdin bytes, copied. */
    @Override
    public Optional<byte[]> stdin() {
        return stdin.map(byte[]::clone);
    }

    @Override
    public String toString() {
        return "Command" + argv;
    }
}
