package dev.sandbox4j.internal.files;

import dev.sandbox4j.FileAccessException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/** Turns the I/O failures of the files API into {@link FileAccessException}s naming the operation and path. */
final class FileErrors {
    private FileErrors() {
    }

    static FileAccessException of(String op, String shown, Exception e) {
        if (e instanceof FileAccessException fae) {
            return fae;
        }
        String why;
        String where = e instanceof FileSystemException f && f.getFile() != null ? " at '" + f.getFile() + "'" : "";
        if (e instanceof SymlinkRefusedException) {
            why = "a symlink was refused" + where + " (the files API never follows symlinks)";
        } else if (e instanceof NoSuchFileException) {
            why = "no such file or directory" + where;
        } else if (e instanceof NotDirectoryException) {
            why = "not a directory" + where;
        } else if (e instanceof AccessDeniedException) {
            why = "permission denied" + where;
        } else if (e instanceof DirectoryNotEmptyException) {
            why = "the directory is not empty" + where;
        } else if (e instanceof FileAlreadyExistsException) {
            why = "something already exists" + where;
        } else if (String.valueOf(e.getMessage()).contains("symbolic link")) {
            // ELOOP from an openat(O_NOFOLLOW): a symlink replaced a checked entry just before we opened it
            why = "a symlink was refused" + where + " (it appeared while the path was being opened; "
                    + "the files API never follows symlinks)";
        } else if (e instanceof FileSystemException f && f.getReason() != null) {
            why = f.getReason() + where;
        } else {
            why = String.valueOf(e.getMessage());
        }
        return new FileAccessException(op + " '" + shown + "': " + why, e);
    }
}
