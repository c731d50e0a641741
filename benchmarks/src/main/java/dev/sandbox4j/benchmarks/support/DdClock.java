package dev.sandbox4j.benchmarks.support;

import java.time.Duration;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads the copy time GNU dd prints on stderr ({@code ... copied, 0.512 s, 1.9 MB/s}) under LC_ALL=C. */
public final class DdClock {
    private static final Pattern ELAPSED = Pattern.compile("copied, ([0-9]+(?:\\.[0-9]+)?(?:e[-+]?[0-9]+)?) s,");

    private DdClock() {
    }

    /** Empty when dd printed no time (busybox dd, a non-C locale). */
    public static Optional<Duration> elapsed(String stderr) {
        Matcher m = ELAPSED.matcher(stderr);
        if (!m.find()) {
            return Optional.empty();
        }
        double seconds = Double.parseDouble(m.group(1));
        return Optional.of(Duration.ofNanos(Math.round(seconds * 1e9)));
    }
}
