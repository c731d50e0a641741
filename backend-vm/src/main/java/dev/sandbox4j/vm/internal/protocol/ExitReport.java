package dev.sandbox4j.vm.internal.protocol;

import java.time.Duration;

/**
 * The EXIT payload.
 *
 * @param signaled    true: {@code code} is the signal that killed the main process
 * @param code        the exit status, or the signal number
 * @param timedOut    the agent's own deadline killed the exec
 * @param oomKilled   the memory limit killed a process of the exec
 * @param pidsLimited the pids limit refused a fork of the exec
 * @param cpuTime     user plus system time of the main process
 * @param maxRssKiB   the main process's peak resident set
 */
public record ExitReport(boolean signaled, int code, boolean timedOut, boolean oomKilled, boolean pidsLimited,
                         Duration cpuTime, long maxRssKiB) {

    public static ExitReport decode(Frame f) {
        PayloadReader r = new PayloadReader(f);
        long how = r.u32();
        long code = r.u32();
        long flags = r.u32();
        long user = r.u64();
        long sys = r.u64();
        long rss = r.u64();
        r.end();
        if (how > 1 || (how == 0 && code > 255) || (how == 1 && (code < 1 || code > 64)) || user < 0 || sys < 0 || rss < 0) {
            throw r.malformed("impossible exit (how " + how + ", code " + code + ")");
        }
        return new ExitReport(how == 1, (int) code, (flags & 1) != 0, (flags & 2) != 0, (flags & 4) != 0,
                Duration.ofNanos(Math.multiplyExact(user + sys, 1000L)), rss);
    }

    /** The exit status as a shell reports it: {@code 128 + signal} for a signal. */
    public int status() {
        return signaled ? 128 + code : code;
    }
}
