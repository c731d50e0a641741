package dev.sandbox4j.internal.files;

import java.nio.file.FileSystemException;

/** A symlink was met where the files API needed a real file or directory; it never follows one. */
final class SymlinkRefusedException extends FileSystemException {
    private static final long serialVersionUID = 1L;

    SymlinkRefusedException(String where) {
        super(where, null, "a symlink was refused (the files API never follows symlinks)");
    }
}
