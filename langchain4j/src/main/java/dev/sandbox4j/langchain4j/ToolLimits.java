package dev.sandbox4j.langchain4j;

import dev.sandbox4j.DataSize;
import dev.sandbox4j.InvalidInputException;
import dev.sandbox4j.langchain4j.internal.ResultText;
import java.time.Duration;
import java.util.Optional;

/**
 * The bounds of what {@link SandboxTools} returns to a model and how long its commands may run. Immutable
 * and thread-safe.
 *
 * <p>Defaults ({@link #defaults()}):
 * <table>
 *   <caption>defaults</caption>
 *   <tr><th>field</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>{@code maxResultChars}</td><td>8000 characters</td><td>the longest text one tool call returns,
 *       notes included; longer output keeps its start and end around a marker that says how much was cut.
 *       At least 512.</td></tr>
 *   <tr><td>{@code commandTimeout}</td><td>empty: the sandbox policy's {@code limits.wallTime} (30 s for
 *       {@code strict()})</td><td>wall-clock timeout of one {@code run_shell_command}; at its end the whole
 *       process tree is killed and the result says so</td></tr>
 *   <tr><td>{@code maxFileRead}</td><td>1 MiB</td><td>the largest file {@code read_file} reads; a larger one
 *       is refused with its size and a hint to read parts of it with a shell command</td></tr>
 * </table>
 *
 * <p>Each output stream of a command is capped inside the sandbox at {@code 4 × maxResultChars} bytes
 * (the most UTF-8 bytes that many characters can take), so a flood costs no more memory than that.
 *
 * @param maxResultChars the longest text of one tool result, in characters (UTF-16 units)
 * @param commandTimeout timeout of one shell command; empty: the sandbox policy's wall time
 * @param maxFileRead    the largest file {@code read_file} reads
 */
public record ToolLimits(int maxResultChars, Optional<Duration> commandTimeout, DataSize maxFileRead) {

    public ToolLimits {
        if (maxResultChars < ResultText.MIN_BUDGET) {
            throw new InvalidInputException("ToolLimits.maxResultChars: " + maxResultChars + " is below "
                    + ResultText.MIN_BUDGET + "; a result needs room for its exit code, notes and some output");
        }
        if (commandTimeout == null) {
            throw new InvalidInputException("ToolLimits.commandTimeout: use Optional.empty() for the policy's wall time, not null");
        }
        if (commandTimeout.isPresent() && (commandTimeout.get().isNegative() || commandTimeout.get().isZero())) {
            throw new InvalidInputException("ToolLimits.commandTimeout: " + commandTimeout.get()
                    + " must be positive (e.g. Duration.ofSeconds(30))");
        }
        if (maxFileRead == null || maxFileRead.bytes() < 1) {
            throw new InvalidInputException("ToolLimits.maxFileRead: " + maxFileRead + " must be at least 1 byte (e.g. DataSize.ofMiB(1))");
        }
    }

    /** 8000 characters per result, the policy's wall time per command, files up to 1 MiB. */
    public static ToolLimits defaults() {
        return new ToolLimits(8000, Optional.empty(), DataSize.ofMiB(1));
    }

    public ToolLimits withMaxResultChars(int chars) {
        return new ToolLimits(chars, commandTimeout, maxFileRead);
    }

    public ToolLimits withCommandTimeout(Duration timeout) {
        if (timeout == null) {
            throw new InvalidInputException("ToolLimits.withCommandTimeout: no timeout given (e.g. Duration.ofSeconds(30))");
        }
        return new ToolLimits(maxResultChars, Optional.of(timeout), maxFileRead);
    }

    public ToolLimits withMaxFileRead(DataSize size) {
        return new ToolLimits(maxResultChars, commandTimeout, size);
    }

    /** The cap of each output stream of a command: 4 bytes per character of the result budget. */
    DataSize outputCap() {
        return DataSize.ofBytes(4L * maxResultChars);
    }
}
