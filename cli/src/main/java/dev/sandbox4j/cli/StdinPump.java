package dev.sandbox4j.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * Copies the CLI's stdin to a running command's stdin on a daemon thread, flushing every read so an
 * interactive command gets each line when it is typed, and closes the command's stdin (EOF) at the end of
 * the CLI's. A daemon, because a terminal's stdin may never end: the CLI exits when the command does.
 */
final class StdinPump {
    private StdinPump() {
    }

    static Thread start(InputStream from, OutputStream to) {
        Thread t = new Thread(() -> pump(from, to), "sandbox4j-stdin");
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static void pump(InputStream from, OutputStream to) {
        byte[] buf = new byte[8192];
        try (to) {
            int n;
            while ((n = from.read(buf)) >= 0) {
                to.write(buf, 0, n);
                to.flush();
            }
        } catch (IOException e) {
            // the command exited or closed its stdin: what is left of ours has no reader, as with a shell pipe
        }
    }
}
