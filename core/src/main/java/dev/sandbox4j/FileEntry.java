package dev.sandbox4j;

/**
 * One entry of a directory listing.
 *
 * @param name the entry's name (no directory part)
 * @param type what it is; a symlink is reported, never followed
 * @param size size in bytes (0 for directories)
 */
public record FileEntry(String name, Type type, long size) {
    public enum Type { FILE, DIRECTORY, SYMLINK, OTHER }
}
