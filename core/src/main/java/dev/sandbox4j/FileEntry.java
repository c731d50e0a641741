package dev.sandbox4j;

import java.time.Instant;
import java.util.Objects;

/**
 * One entry of a directory listing.
 *
 * @param name     the entry's name (no directory part)
 * @param type     what it is; a symlink is reported, never followed
 * @param size     size in bytes (0 for directories)
 * @param modified the entry's last modification time (of the link itself for a symlink), as precise as the
 *                 file system keeps it
 */
public record FileEntry(String name, Type type, long size, Instant modified) {
    public enum Type { FILE, DIRECTORY, SYMLINK, OTHER }

    public FileEntry {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(modified, "modified");
    }

    /**
     * An entry whose modification time is not known, given as {@link Instant#EPOCH}; for code written before
     * entries carried it. Every files() implementation of the library reports the real time.
     */
    public FileEntry(String name, Type type, long size) {
        this(name, type, size, Instant.EPOCH);
    }
}
