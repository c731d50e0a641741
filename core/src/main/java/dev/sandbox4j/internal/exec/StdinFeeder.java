package dev.sandbox4j.internal.exec;

import java.io.IOException;
import java.io.OutputStream;

/**
 * Writes a command's stdin bytes and then closes its stdin, on a thread of its own: a command that never
 * reads stdin would otherwise block us once the pipe is full. A command that exits or closes stdin early
 * makes the write fail with EPIPE, which is ignored: the command chose not to read.
 */
final class StdinFeeder {
    private StdinFeeder() {
    }

    static void feed(OutputStream stdin, byte[] bytes, String threadName) {
        if (bytes.length == 0) {
            closeQuietly(stdin);
            return;
        }
        ExecThreads.start(threadName, () -> {
            try {
                stdin.write(bytes);
                stdin.flush();
            } catch (IOException | RuntimeException e) {
                // EPIPE or a closed stream: the command stopped reading; that is its right
            } finally {
                closeQuietly(stdin);
            }
        });
    }

    static void closeQuietly(OutputStream out) {
        try {
            out.close();
        } catch (IOException | RuntimeException e) {
            // EPIPE on the final flush: the command already exited
        }
    }
}
