package dev.sandbox4j.internal.files;

import dev.sandbox4j.FileAccessException;
import dev.sandbox4j.FileAccessException.Reason;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.Locale;

/**
 * Turns the I/O failures of the files API into {@link FileAccessException}s naming the operation and path,
 * with the {@link Reason} the failure stands for.
 */
final class FileErrors {
    private FileErrors() {
    }

    static FileAccessException of(String op, String shown, Exception e) {
        if (e instanceof FileAccessException fae) {
            return fae;
        }
        String why;
        Reason reason;
        String where = e instanceof FileSystemException f && f.getFile() != null ? " at '" + f.getFile() + "'" : "";
        // the JDK reports ENOTDIR, EISDIR and the like as a plain FileSystemException whose reason is strerror's text
        String text = (e instanceof FileSystemException f && f.getReason() != null ? f.getReason()
                : String.valueOf(e.getMessage())).toLowerCase(Locale.ROOT);
        if (e instanceof SymlinkRefusedException) {
            why = "a symlink was refused" + where + " (the files API never follows symlinks)";
            reason = Reason.REFUSED;
        } else if (e instanceof NoSuchFileException) {
            why = "no such file or directory" + where;
            reason = Reason.NOT_FOUND;
        } else if (e instanceof NotDirectoryException || text.contains("not a directory")) {
            why = "not a directory" + where;
            reason = Reason.NOT_A_DIRECTORY;
        } else if (e instanceof AccessDeniedException) {
            why = "permission denied" + where;
            reason = Reason.IO;
        } else if (e instanceof DirectoryNotEmptyException || text.contains("directory not empty")) {
            why = "the directory is not empty" + where;
            reason = Reason.NOT_EMPTY;
        } else if (e instanceof FileAlreadyExistsException) {
            why = "something already exists" + where;
            reason = Reason.IO;
        } else if (text.contains("symbolic link") || text.contains("symlink changed")) {
            // ELOOP from an openat(O_NOFOLLOW): a symlink replaced a checked entry just before we opened it
            why = "a symlink was refused" + where + " (it appeared while the path was being opened; "
                    + "the files API never follows symlinks)";
            reason = Reason.REFUSED;
        } else if (text.contains("is a directory") || text.contains("a directory is in the way")) {
            why = ((FileSystemException) e).getReason() + where;
            reason = Reason.IS_A_DIRECTORY;
        } else if (text.contains("refused")) {
            why = ((FileSystemException) e).getReason() + where;
            reason = Reason.REFUSED;
        } else if (e instanceof FileSystemException f && f.getReason() != null) {
            why = f.getReason() + where;
            reason = Reason.IO;
        } else {
            why = String.valueOf(e.getMessage());
            reason = Reason.IO;
        }
        return new FileAccessException(reason, op + " '" + shown + "': " + why, e);
    }
}
