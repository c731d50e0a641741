package dev.sandbox4j.internal.files;

import dev.sandbox4j.FileAccessException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.attribute.PosixFileAttributeView;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Unpacks a tar stream (ustar, POSIX pax or GNU long names) into a workspace directory. Refused, with
 * the entry named: an absolute name, a {@code ..}, {@code .} (other than a leading {@code ./}) or empty
 * segment, a hard link, a device or a fifo. Symlinks are made as symlinks with their target unchanged;
 * nothing is ever written through one (every step opens without following). Permission bits are kept
 * under a 0777 mask (no setuid, setgid or sticky); directories get theirs at the end, so a read-only
 * directory in the archive can still be filled.
 */
final class TarImport {
    private final SecureTree tree;
    private final WorkspacePath target;

    private record DirMode(List<String> segments, int mode) {
    }

    TarImport(SecureTree tree, WorkspacePath target) {
        this.tree = tree;
        this.target = target;
    }

    void unpack(InputStream in) throws IOException {
        tree.openDir(target.segments(), true).close();
        // not closed: the caller's stream is the caller's to close
        TarArchiveInputStream tar = new TarArchiveInputStream(in, StandardCharsets.UTF_8.name());
        List<DirMode> dirModes = new ArrayList<>();
        for (TarArchiveEntry e; (e = tar.getNextEntry()) != null; ) {
            List<String> rel = entrySegments(e.getName());
            List<String> segs = new ArrayList<>(target.segments());
            segs.addAll(rel);
            int mode = e.getMode() & 0777;
            if (e.isDirectory()) {
                tree.openDir(segs, true).close();
                dirModes.add(new DirMode(segs, mode));
            } else if (rel.isEmpty()) {
                throw refuse(e.getName(), "names the target directory itself but is not a directory");
            } else if (e.isSymbolicLink()) {
                String linkTarget = e.getLinkName();
                if (linkTarget == null || linkTarget.isEmpty() || linkTarget.indexOf('\0') >= 0) {
                    throw refuse(e.getName(), "is a symlink without a valid target");
                }
                try (SecureDirectoryStream<Path> dir = tree.openDir(segs.subList(0, segs.size() - 1), true)) {
                    tree.makeSymlink(dir, segs.get(segs.size() - 1), linkTarget);
                }
            } else if (e.isLink()) {
                throw refuse(e.getName(), "is a hard link (to '" + e.getLinkName() + "'); hard links are refused");
            } else if (e.isCharacterDevice() || e.isBlockDevice()) {
                throw refuse(e.getName(), "is a device node; devices are refused");
            } else if (e.isFIFO()) {
                throw refuse(e.getName(), "is a fifo; fifos are refused");
            } else if (e.isFile()) {
                try (SecureDirectoryStream<Path> dir = tree.openDir(segs.subList(0, segs.size() - 1), true)) {
                    tree.writeFile(dir, segs.get(segs.size() - 1), tar, Optional.of(mode));
                }
            } else {
                throw refuse(e.getName(), "has an entry type the tar import does not take (only files, "
                        + "directories and symlinks)");
            }
        }
        for (int i = dirModes.size() - 1; i >= 0; i--) {
            DirMode d = dirModes.get(i);
            try (SecureDirectoryStream<Path> dir = tree.openDir(d.segments(), false)) {
                dir.getFileAttributeView(PosixFileAttributeView.class).setPermissions(SecureTree.perms(d.mode()));
            }
        }
    }

    /** The checked segments of an entry name; a leading "./" and a trailing "/" are dropped. */
    List<String> entrySegments(String name) {
        if (name == null || name.isEmpty()) {
            throw refuse(String.valueOf(name), "has an empty name");
        }
        if (name.indexOf('\0') >= 0) {
            throw refuse(name.replace('\0', '?'), "has a NUL byte in its name");
        }
        if (name.startsWith("/")) {
            throw refuse(name, "has an absolute name; entries must be relative");
        }
        String n = name;
        while (n.startsWith("./")) {
            n = n.substring(2);
        }
        if (n.endsWith("/")) {
            n = n.substring(0, n.length() - 1);
        }
        if (n.isEmpty() || n.equals(".")) {
            return List.of();
        }
        List<String> segs = List.of(n.split("/", -1));
        for (String s : segs) {
            if (s.equals("..")) {
                throw refuse(name, "has a '..' segment and would escape the target directory");
            }
            if (s.isEmpty() || s.equals(".")) {
                throw refuse(name, "has an empty or '.' segment; refused");
            }
        }
        return segs;
    }

    private FileAccessException refuse(String entry, String why) {
        return new FileAccessException(FileAccessException.Reason.REFUSED, "tarIn '" + target.shown() + "': entry '" + entry + "' " + why);
    }
}
