package dev.sandbox4j.linux.internal.host;

import dev.sandbox4j.ExecException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;

/**
 * The arguments file of an s4j-launch run: every argument NUL-terminated, in a new file of mode 0600 that
 * the launcher deletes once read, so that no environment value or command shows in the host's process
 * list. Stateless.
 */
public final class ArgsFile {
    private ArgsFile() {
    }

    /**
     * Writes {@code args} to the new file {@code file}.
     *
     * @param what for the message, e.g. "the bubblewrap launcher's arguments"
     * @throws ExecException naming the file when it exists already or cannot be written
     */
    public static void write(Path file, List<String> args, String what) {
        StringBuilder b = new StringBuilder();
        for (String a : args) {
            b.append(a).append('\0');
        }
        ByteBuffer bytes = ByteBuffer.wrap(b.toString().getBytes(StandardCharsets.UTF_8));
        try (SeekableByteChannel c = Files.newByteChannel(file, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
            while (bytes.hasRemaining()) {
                c.write(bytes);
            }
        } catch (IOException e) {
            throw new ExecException("writing " + what + " to " + file + " failed: " + e, e);
        }
    }
}
