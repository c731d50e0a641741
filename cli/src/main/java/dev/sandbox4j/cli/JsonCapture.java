package dev.sandbox4j.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.sandbox4j.ExecResult;
import dev.sandbox4j.OutputListener;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The {@code --json} capture and report. The report is one JSON object and a newline: {@code exitCode} (the
 * command's status as the library reports it, 128 + signal when a signal ended it; the CLI itself exits 124
 * when {@code timedOut}), {@code timedOut}, {@code stdout} and {@code stderr} (decoded as UTF-8, up to the
 * cap), {@code stdoutTruncated} and {@code stderrTruncated} (the stream passed the cap),
 * {@code durationMillis} (wall-clock from start to exit), {@code backend}, and {@code signal} (the signal
 * that ended the main process, or null).
 *
 * <p>Each stream goes to a private temporary file (in a 0700 directory, deleted on close)
 * as it arrives, and the report is written from those files in chunks, so the CLI holds a constant
 * amount of memory whatever {@code --max-output} allows (the library already stops each stream at its
 * cap). Holding the output in memory instead made a 2g cap run the CLI out of heap, and its garbage
 * collection delayed the timeout. Not thread-safe beyond what {@link OutputListener} needs: one writer per
 * stream, the report after the command ended.
 */
final class JsonCapture implements OutputListener, AutoCloseable {
    private static final JsonFactory JSON = new JsonFactory();
    private final Path dir;
    private final Path outFile;
    private final Path errFile;
    private final OutputStream out;
    private final OutputStream err;
    private IOException failure;

    private JsonCapture(Path dir) throws IOException {
        this.dir = dir;
        this.outFile = dir.resolve("stdout");
        this.errFile = dir.resolve("stderr");
        this.out = new BufferedOutputStream(Files.newOutputStream(outFile, StandardOpenOption.CREATE_NEW));
        this.err = new BufferedOutputStream(Files.newOutputStream(errFile, StandardOpenOption.CREATE_NEW));
    }

    /** A capture in a fresh 0700 directory under java.io.tmpdir. */
    static JsonCapture open() {
        try {
            return new JsonCapture(Files.createTempDirectory("sandbox4j-cli-json-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"))));
        } catch (IOException e) {
            throw new UncheckedIOException("making the --json capture directory in " + System.getProperty("java.io.tmpdir"), e);
        }
    }

    @Override
    public void onOutput(Stream stream, byte[] chunk) {
        OutputStream to = stream == Stream.STDOUT ? out : err;
        synchronized (to) {
            try {
                to.write(chunk);
            } catch (IOException e) {
                failure = e;
            }
        }
    }

    /**
     * Writes the report as one JSON object and a newline to {@code sink}, reading the captured output back
     * in chunks (invalid UTF-8 becomes U+FFFD, as {@link String#String(byte[], java.nio.charset.Charset)} does).
     */
    void writeReport(ExecResult r, OutputStream sink) throws IOException {
        synchronized (out) {
            out.flush();
        }
        synchronized (err) {
            err.flush();
        }
        if (failure != null) {
            throw new IOException("capturing the command's output for --json in " + dir + " failed", failure);
        }
        // the CLI's stdout stays open after the report
        try (JsonGenerator g = JSON.createGenerator(sink).disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET)) {
            g.writeStartObject();
            g.writeNumberField("exitCode", r.exitCode());
            g.writeBooleanField("timedOut", r.timedOut());
            g.writeFieldName("stdout");
            writeText(g, outFile);
            g.writeFieldName("stderr");
            writeText(g, errFile);
            g.writeBooleanField("stdoutTruncated", r.stdoutTruncated());
            g.writeBooleanField("stderrTruncated", r.stderrTruncated());
            g.writeNumberField("durationMillis", r.duration().toMillis());
            g.writeStringField("backend", r.backend());
            g.writeFieldName("signal");
            if (r.signal().isPresent()) {
                g.writeNumber(r.signal().getAsInt());
            } else {
                g.writeNull();
            }
            g.writeEndObject();
        }
        sink.write('\n');
        sink.flush();
    }

    private static void writeText(JsonGenerator g, Path file) throws IOException {
        try (Reader in = new InputStreamReader(Files.newInputStream(file), StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE))) {
            g.writeString(in, -1);
        }
    }

    @Override
    public void close() {
        try {
            out.close();
            err.close();
            Files.deleteIfExists(outFile);
            Files.deleteIfExists(errFile);
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            System.getLogger(JsonCapture.class.getName()).log(System.Logger.Level.WARNING,
                    "removing the --json capture " + dir + " failed: " + e);
        }
    }
}
