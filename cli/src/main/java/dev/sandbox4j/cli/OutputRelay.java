package dev.sandbox4j.cli;

import dev.sandbox4j.OutputListener;
import java.io.OutputStream;
import java.io.PrintStream;

/**
 * Passes a running command's output straight through to the CLI's own stdout and stderr as it arrives
 * (the {@code --json} report keeps it in {@link JsonCapture} instead). The library calls it one chunk at a
 * time per stream and stops at the output cap.
 */
final class OutputRelay implements OutputListener {
    private final OutputStream out;
    private final OutputStream err;

    private OutputRelay(OutputStream out, OutputStream err) {
        this.out = out;
        this.err = err;
    }

    static OutputRelay passThrough(PrintStream out, PrintStream err) {
        return new OutputRelay(out, err);
    }

    @Override
    public void onOutput(Stream stream, byte[] chunk) {
        OutputStream to = stream == Stream.STDOUT ? out : err;
        synchronized (to) {
            try {
                to.write(chunk);
                // flushed per chunk: an interactive user or a pipe sees output when the command writes it
                to.flush();
            } catch (java.io.IOException e) {
                // the CLI's own stdout is gone (a closed pipe); the command goes on, as under a shell
            }
        }
    }
}
