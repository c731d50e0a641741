package dev.sandbox4j.container.internal.agent;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import java.io.IOException;
import java.nio.file.Path;

/** The one C call this module needs that the JDK lacks: mkfifo(3), name and arguments verbatim. */
final class LibC {
    private interface C extends Library {
        int mkfifo(String pathname, int mode) throws LastErrorException;

        int chmod(String pathname, int mode) throws LastErrorException;
    }

    private static final C C_LIB = Native.load("c", C.class);

    private LibC() {
    }

    /** mkfifo(path, mode) then chmod (the umask must not decide the mode); errno named on failure. */
    static void mkfifo(Path path, int mode) throws IOException {
        try {
            C_LIB.mkfifo(path.toString(), mode);
            C_LIB.chmod(path.toString(), mode);
        } catch (LastErrorException e) {
            throw new IOException("mkfifo(\"" + path + "\", 0" + Integer.toOctalString(mode) + ") failed: errno "
                    + e.getErrorCode() + " (" + e.getMessage() + ")", e);
        }
    }
}
