package dev.sandbox4j.linux.internal.rootfs;

/** Quoting for the generated POSIX shell scripts. */
public final class Sh {
    private Sh() {
    }

    /** {@code 'text'}, with every single quote written as {@code '\''}: safe for any string without NUL. */
    public static String quote(String s) {
        if (s.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("a NUL byte cannot be passed to a shell: " + s.replace('\0', '?'));
        }
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
