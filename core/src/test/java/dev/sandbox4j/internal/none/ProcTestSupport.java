package dev.sandbox4j.internal.none;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Whether a pid runs, from /proc: a zombie (killed, not yet reaped by its parent) does not run. */
final class ProcTestSupport {
    private ProcTestSupport() {
    }

    static boolean alive(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            return state != 'Z' && state != 'X';
        } catch (IOException e) {
            return false;
        }
    }
}
