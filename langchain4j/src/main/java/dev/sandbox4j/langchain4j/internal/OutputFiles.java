package dev.sandbox4j.langchain4j.internal;

import dev.sandbox4j.DataSize;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.SandboxException;
import dev.sandbox4j.langchain4j.CellResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads the image files a cell reported through the sandbox's files API, which refuses symlinks and paths
 * outside the workspace; the driver's list is only a hint, since the cell could have written anything into
 * it. The MIME type comes from the file's first bytes, not its name. Stateless and thread-safe.
 */
public final class OutputFiles {
    private OutputFiles() {
    }

    /** The files under {@code dir} among {@code paths}, at most {@code max}; what is skipped gets a note. */
    public static List<CellResult.OutputFile> read(Sandbox sandbox, String dir, List<String> paths, DataSize maxSize,
                                                   int max, List<String> notes) {
        List<CellResult.OutputFile> files = new ArrayList<>();
        for (String path : paths) {
            if (!path.startsWith(dir + "/") || path.indexOf('/', dir.length() + 1) >= 0) {
                notes.add("note: " + path + " is not a file directly in " + dir + "; not returned");
                continue;
            }
            if (files.size() >= max) {
                notes.add("note: " + path + " not returned: a cell returns at most " + max + " images");
                continue;
            }
            try {
                byte[] bytes = sandbox.files().read(path, maxSize);
                Optional<String> mime = mimeType(bytes);
                if (mime.isEmpty()) {
                    notes.add("note: " + path + " is not a PNG, JPEG, GIF or WebP image; not returned");
                } else {
                    files.add(new CellResult.OutputFile(path, mime.get(), bytes));
                }
            } catch (SandboxException e) {
                notes.add("note: " + path + " not returned: " + e.getMessage());
            }
        }
        return files;
    }

    static Optional<String> mimeType(byte[] b) {
        if (starts(b, 0, 0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a)) {
            return Optional.of("image/png");
        }
        if (starts(b, 0, 0xff, 0xd8, 0xff)) {
            return Optional.of("image/jpeg");
        }
        if (starts(b, 0, 'G', 'I', 'F', '8')) {
            return Optional.of("image/gif");
        }
        if (starts(b, 0, 'R', 'I', 'F', 'F') && starts(b, 8, 'W', 'E', 'B', 'P')) {
            return Optional.of("image/webp");
        }
        return Optional.empty();
    }

    private static boolean starts(byte[] b, int at, int... magic) {
        if (b.length < at + magic.length) {
            return false;
        }
        for (int i = 0; i < magic.length; i++) {
            if ((b[at + i] & 0xff) != magic[i]) {
                return false;
            }
        }
        return true;
    }
}
