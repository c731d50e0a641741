package dev.sandbox4j.linux.internal.sys;

import com.sun.jna.Library;
import com.sun.jna.Native;

/**
 * The few libc calls this module needs, C names verbatim. Each caller checks the return code and names
 * {@link Errno} from {@link Native#getLastError()}; JNA saves errno per thread after every call.
 */
public interface LibC extends Library {
    /** Loaded on first use; a {@link LinkageError} here means JNA cannot load libc at all. */
    LibC INSTANCE = Native.load("c", LibC.class);

    int close(int fd);

    String strerror(int errnum);
}
