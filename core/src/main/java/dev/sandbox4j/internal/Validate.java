package dev.sandbox4j.internal;

import dev.sandbox4j.InvalidInputException;
import java.nio.file.Path;

/** Input checks shared by the public records; each message names the field, the value and the fix. */
public final class Validate {
    private Validate() {
    }

    /** An absolute, normalised path as seen inside a sandbox: no NUL, no "." or ".." segment, no "//". */
    public static String sandboxPath(String field, String path) {
        if (path == null) {
            throw new InvalidInputException(field + ": no path given; give an absolute path such as /workspace");
        }
        noNul(field, path);
        if (!path.startsWith("/")) {
            throw new InvalidInputException(field + ": '" + path + "' is relative; give an absolute path inside the sandbox");
        }
        String p = path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        for (String seg : p.substring(1).split("/", -1)) {
            if (p.length() > 1 && (seg.isEmpty() || seg.equals(".") || seg.equals(".."))) {
                throw new InvalidInputException(field + ": '" + path
                        + "' has an empty, '.' or '..' segment; give a normalised absolute path");
            }
        }
        return p;
    }

    /** An absolute host path; made normal, refused when it holds ".." or NUL. */
    public static Path hostPath(String field, Path path) {
        if (path == null) {
            throw new InvalidInputException(field + ": no host path given");
        }
        noNul(field, path.toString());
        if (!path.isAbsolute()) {
            throw new InvalidInputException(field + ": host path '" + path + "' is relative; give an absolute path");
        }
        for (Path seg : path) {
            if (seg.toString().equals("..")) {
                throw new InvalidInputException(field + ": host path '" + path + "' has a '..' segment; give a normalised path");
            }
        }
        return path.normalize();
    }

    public static String noNul(String field, String value) {
        if (value == null) {
            throw new InvalidInputException(field + ": no value given");
        }
        if (value.indexOf('\0') >= 0) {
            throw new InvalidInputException(field + ": '" + value.replace('\0', '?') + "' contains a NUL byte");
        }
        return value;
    }

    public static long nonNegative(String field, long value) {
        if (value < 0) {
            throw new InvalidInputException(field + ": " + value + " is negative; give 0 or more");
        }
        return value;
    }

    public static long positive(String field, long value) {
        if (value <= 0) {
            throw new InvalidInputException(field + ": " + value + " must be greater than 0");
        }
        return value;
    }

    /** An environment variable name: letters, digits and '_', not starting with a digit. */
    public static String envName(String field, String name) {
        noNul(field, name);
        if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            throw new InvalidInputException(field + ": '" + name
                    + "' is not a valid environment variable name (letters, digits, '_', not starting with a digit)");
        }
        return name;
    }
}
