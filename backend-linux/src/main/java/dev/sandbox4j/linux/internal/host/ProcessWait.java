package dev.sandbox4j.linux.internal.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.List;

/** Bounded waits for processes to be gone. Stateless. */
public final class ProcessWait {
    private ProcessWait() {
    }

    /**
     * Waits, at most {@code limit}, until none of {@code processes} is alive (zombies count as gone). Polls isAlive() itself with a
     * short back-off (1 ms doubling to 20 ms): ProcessHandle.onExit() of a process that is not our child (a
     * sandbox's members) is a JDK poller whose back-off grows to seconds, which made close() take ~1.5 s.
     *
     * @return true when all are gone
     */
    public static boolean allGone(Collection<ProcessHandle> processes, Duration limit) {
        List<ProcessHandle> all = List.copyOf(processes);
        long deadline = System.nanoTime() + limit.toNanos();
        long pauseMillis = 1;
        while (all.stream().anyMatch(ProcessWait::running)) {
            if (System.nanoTime() >= deadline) {
                return false;
            }
            try {
                Thread.sleep(pauseMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
            pauseMillis = Math.min(20, pauseMillis * 2);
        }
        return true;
    }

    /**
     * Alive and not a zombie. A killed sandbox's processes are re-parented to the host's init, which may
     * reap them only seconds later; a zombie holds no resource of the sandbox, so it counts as gone.
     */
    public static boolean running(ProcessHandle h) {
        if (!h.isAlive()) {
            return false;
        }
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(h.pid()), "stat"));
            int close = stat.lastIndexOf(')');
            return close < 0 || close + 2 >= stat.length() || stat.charAt(close + 2) != 'Z';
        } catch (IOException e) {
            return false;
        }
    }
}
