package dev.sandbox4j.langchain4j;

import dev.langchain4j.data.image.Image;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * What one cell of a {@link SandboxCodeInterpreter} did. Immutable.
 *
 * @param stdout          what the cell (and the processes it started) wrote to stdout, at most the
 *                        interpreter's {@code maxOutput} bytes, decoded as UTF-8
 * @param stderr          the same for stderr (Python's warnings included)
 * @param stdoutTruncated stdout passed the cap; the rest was dropped
 * @param stderrTruncated stderr passed the cap; the rest was dropped
 * @param value           the {@code repr} of the cell's last statement when it is an expression whose
 *                        value is not {@code None}, as a notebook shows it (also kept in the variable {@code _})
 * @param error           the exception that ended the cell, if one did ({@code KeyboardInterrupt} after a
 *                        timeout, {@code SystemExit} after {@code exit()}; {@code InterpreterExited} when
 *                        the Python process itself ended, {@code Closed} when the interpreter or its sandbox
 *                        was closed, {@code Timeout} when it ignored the interrupt and was killed)
 * @param outputs         the image files the cell created or changed in the outputs directory (a
 *                        matplotlib figure left open is saved there too), in path order
 * @param timedOut        the cell ran past its timeout and was interrupted (or, failing that, killed)
 * @param stateLost       the variables, imports and loaded data of earlier cells are gone: the process
 *                        ended during this cell, or had ended before it and this cell ran in a new one
 * @param notes           one line each, for a reader: why the state was lost, files that were not returned
 * @param duration        how long the call took, waiting for an interrupt included
 */
public record CellResult(String stdout, String stderr, boolean stdoutTruncated, boolean stderrTruncated,
                         Optional<String> value, Optional<Failure> error, List<OutputFile> outputs, boolean timedOut,
                         boolean stateLost, List<String> notes, Duration duration) {

    public CellResult {
        outputs = List.copyOf(outputs);
        notes = List.copyOf(notes);
    }

    /**
     * An exception that ended a cell.
     *
     * @param type      the exception's class name, e.g. {@code ZeroDivisionError}
     * @param message   {@code str(exception)}
     * @param traceback the formatted traceback, starting at the cell's own frame
     */
    public record Failure(String type, String message, String traceback) {
    }

    /**
     * An image file the cell left in the outputs directory.
     *
     * @param path     its absolute path inside the sandbox (under the workspace)
     * @param mimeType {@code image/png}, {@code image/jpeg}, {@code image/gif} or {@code image/webp}, from
     *                 the file's first bytes
     * @param bytes    its content
     */
    public record OutputFile(String path, String mimeType, byte[] bytes) {
        public OutputFile {
            bytes = bytes.clone();
        }

        @Override
        public byte[] bytes() {
            return bytes.clone();
        }

        /** The file as LangChain4j image content (base64 and MIME type), for a multimodal model. */
        public Image image() {
            return Image.builder().base64Data(Base64.getEncoder().encodeToString(bytes)).mimeType(mimeType).build();
        }

        @Override
        public String toString() {
            return "OutputFile[" + path + ", " + mimeType + ", " + bytes.length + " bytes]";
        }
    }

    /** True when no exception ended the cell. */
    public boolean succeeded() {
        return error.isEmpty();
    }

    /** Every output file as LangChain4j image content. */
    public List<Image> images() {
        return outputs.stream().map(OutputFile::image).toList();
    }

    /**
     * The result as text a model reads: the notes, stdout, stderr, the value ({@code Out: ...}), the error
     * with its traceback and the image files, each part only when it has something; a line saying the
     * cell printed nothing otherwise.
     */
    public String text() {
        List<String> parts = new ArrayList<>(notes);
        section(parts, "stdout", stdout, stdoutTruncated);
        section(parts, "stderr", stderr, stderrTruncated);
        value.ifPresent(v -> parts.add("Out: " + v));
        error.ifPresent(e -> parts.add("error: " + e.type() + (e.message().isEmpty() ? "" : ": " + e.message())
                + "\n" + e.traceback().stripTrailing()));
        for (OutputFile f : outputs) {
            parts.add("image: " + f.path() + " (" + f.mimeType() + ", " + f.bytes.length + " bytes)");
        }
        if (parts.isEmpty()) {
            return "(the cell ran and printed nothing)";
        }
        return String.join("\n", parts);
    }

    private static void section(List<String> parts, String name, String text, boolean truncated) {
        if (text.isEmpty() && !truncated) {
            return;
        }
        parts.add(name + ":\n" + text.stripTrailing()
                + (truncated ? "\nnote: " + name + " passed the interpreter's output cap; the rest was dropped" : ""));
    }
}
