package dev.sandbox4j.cli;

import dev.sandbox4j.OutputListener;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * Where a running command's output goes: straight through to the CLI's own stdout and stderr as it
 * arrives ({@link #passThrough}), or kept for the {@code --json} report ({@link #capturing}). The library
 * calls it one chunk at a time per stream and stops at the output cap, so a capture never holds more than
 * the cap of each stream.
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

    static OutputRelay capturing() {
        return new OutputRelay(new ByteArrayOutputStream(), new ByteArrayOutputStream());
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

    String capturedStdout() {
        return captured(out);
    }

    String capturedStderr() {
        return captured(err);
    }

    private static String captured(OutputStream s) {
        if (!(s instanceof ByteArrayOutputStream b)) {
            throw new IllegalStateException("output was passed through, not captured");
        }
        synchronized (b) {
            return b.toString(StandardCharsets.UTF_8);
        }
    }
}
