package dev.sandbox4j;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.OptionalInt;

/**
 * The outcome of one command. Immutable; the byte arrays are copied on the way in and out.
 *
 * @param exitCode        the exit status; {@code 128 + signal} when a signal ended it (as a shell reports it)
 * @param stdoutBytes     what the command wrote to stdout, up to the cap (empty when streamed to a listener)
 * @param stderrBytes     the same for stderr
 * @param timedOut        true when the timeout ended it (then the whole process tree was killed)
 * @param stdoutTruncated true when stdout passed the cap and the rest was dropped
 * @param stderrTruncated the same for stderr
 * @param duration        wall-clock time from start to exit
 * @param signal          the signal that ended the main process, if one did
 * @param usage           resources used, where the backend measures them
 * @param backend         the name of the backend that ran it
 */
public record ExecResult(int exitCode, byte[] stdoutBytes, byte[] stderrBytes, boolean timedOut, boolean stdoutTruncated,
                         boolean stderrTruncated, Duration duration, OptionalInt signal, ResourceUsage usage,
                         String backend) {

    public ExecResult {
        stdoutBytes = stdoutBytes.clone();
        stderrBytes = stderrBytes.clone();
    }

    @Override
    public byte[] stdoutBytes() {
        return stdoutBytes.clone();
    }

    @Override
    public byte[] stderrBytes() {
        return stderrBytes.clone();
    }

    /** stdout decoded as UTF-8 (malformed input replaced). */
    public String stdout() {
        return new String(stdoutBytes, StandardCharsets.UTF_8);
    }

    /** stderr decoded as UTF-8 (malformed input replaced). */
    public String stderr() {
        return new String(stderrBytes, StandardCharsets.UTF_8);
    }

    /** True when either stream was cut at its cap. */
    public boolean truncated() {
        return stdoutTruncated || stderrTruncated;
    }

    /** True when it exited with 0 and did not time out. */
    public boolean succeeded() {
        return exitCode == 0 && !timedOut;
    }

    @Override
    public String toString() {
        return "ExecResult[exitCode=" + exitCode + ", timedOut=" + timedOut + ", stdout=" + stdoutBytes.length
                + " bytes" + (stdoutTruncated ? " (truncated)" : "") + ", stderr=" + stderrBytes.length + " bytes"
                + (stderrTruncated ? " (truncated)" : "") + ", duration=" + duration.toMillis() + "ms, backend=" + backend + "]";
    }
}
