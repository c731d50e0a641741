package dev.sandbox4j.cli;

import dev.sandbox4j.ExecResult;

/**
 * The one JSON object that {@code run --json} prints.
 *
 * @param exitCode        the command's exit status as the library reports it (128 + signal when a signal
 *                        ended it); the CLI itself exits 124 when {@code timedOut}
 * @param timedOut        the timeout ended it
 * @param stdout          stdout decoded as UTF-8, up to the cap
 * @param stderr          stderr decoded as UTF-8, up to the cap
 * @param stdoutTruncated stdout passed the cap
 * @param stderrTruncated stderr passed the cap
 * @param durationMillis  wall-clock milliseconds from start to exit
 * @param backend         the backend that ran it
 * @param signal          the signal that ended the main process, or null
 */
record RunReport(int exitCode, boolean timedOut, String stdout, String stderr, boolean stdoutTruncated,
                 boolean stderrTruncated, long durationMillis, String backend, Integer signal) {

    static RunReport of(ExecResult r, OutputRelay captured) {
        return new RunReport(r.exitCode(), r.timedOut(), captured.capturedStdout(), captured.capturedStderr(),
                r.stdoutTruncated(), r.stderrTruncated(), r.duration().toMillis(), r.backend(),
                r.signal().isPresent() ? r.signal().getAsInt() : null);
    }
}
