package dev.sandbox4j.internal.files;

import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Walks a workspace directory through open directories, in name order, never following a symlink, and
 * shows each entry to a {@link Visitor}: directories before their content, symlinks as links, regular
 * files opened without following. Fifos, sockets and devices are skipped. A tree deeper than
 * {@link #MAX_DEPTH} is refused (each level holds an open descriptor).
 */
final class TreeWalker {
    static final int MAX_DEPTH = 256;

    /** What the walk shows; {@code rel} is the path below the walked directory, '/'-separated. */
    interface Visitor {
        void directory(String rel, PosixFileAttributes attrs) throws IOException;

        void file(String rel, PosixFileAttributes attrs, SeekableByteChannel content, long size) throws IOException;

        void symlink(String rel, PosixFileAttributes attrs, String target) throws IOException;
    }

    private final SecureTree tree;

    TreeWalker(SecureTree tree) {
        this.tree = tree;
    }

    void walk(List<String> dirSegments, Visitor v) throws IOException {
        try (SecureDirectoryStream<Path> dir = tree.openDir(dirSegments, false)) {
            walk(dir, dirSegments, "", v, 0);
        }
    }

    private void walk(SecureDirectoryStream<Path> dir, List<String> dirSegs, String prefix, Visitor v, int depth)
            throws IOException {
        if (depth > MAX_DEPTH) {
            throw new FileSystemException(prefix, null, "the tree is deeper than " + MAX_DEPTH + " levels; refused");
        }
        List<String> names = tree.names(dir);
        names.sort(null);
        for (String name : names) {
            Optional<PosixFileAttributes> a = tree.attrs(dir, name);
            if (a.isEmpty()) {
                continue;
            }
            String rel = prefix + name;
            PosixFileAttributes attrs = a.get();
            if (attrs.isSymbolicLink()) {
                List<String> segs = new ArrayList<>(dirSegs);
                segs.add(name);
                v.symlink(rel, attrs, readLink(segs, attrs, rel));
            } else if (attrs.isDirectory()) {
                v.directory(rel, attrs);
                try (SecureDirectoryStream<Path> child = dir.newDirectoryStream(tree.p(name), LinkOption.NOFOLLOW_LINKS)) {
                    List<String> segs = new ArrayList<>(dirSegs);
                    segs.add(name);
                    walk(child, segs, rel + "/", v, depth + 1);
                }
            } else if (attrs.isRegularFile()) {
                try (SeekableByteChannel ch = tree.openFile(dir, name, rel)) {
                    v.file(rel, attrs, ch, ch.size());
                }
            }
        }
    }

    /**
     * SecureDirectoryStream has no readlinkat, so the link is read by path; the link's identity (device
     * and inode) is compared with what the open directory showed, before and after, so that a swapped
     * parent cannot make us report the target of a link outside the workspace.
     */
    private String readLink(List<String> segs, PosixFileAttributes seen, String rel) throws IOException {
        Path p = tree.root().resolve(String.join("/", segs));
        Object before = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
        String target = Files.readSymbolicLink(p).toString();
        Object after = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
        if (seen.fileKey() == null || !Objects.equals(seen.fileKey(), before) || !Objects.equals(before, after)) {
            throw new FileSystemException(rel, null, "the symlink changed while it was read (a directory on its way "
                    + "was replaced); try again when the sandbox is quiet");
        }
        return target;
    }
}
