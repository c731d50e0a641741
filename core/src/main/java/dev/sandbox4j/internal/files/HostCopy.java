package dev.sandbox4j.internal.files;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.FileSystemException;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;

/**
 * Copies between a host directory and the workspace, as tarIn/tarOut would but without the archive.
 * Host symlinks are copied as symlinks (never followed on either side); fifos, sockets and devices are
 * skipped; permission bits are kept under a 0777 mask (on the host, directories keep owner rwx so the
 * copy can fill them).
 */
final class HostCopy {
    private final SecureTree tree;

    private record DirMode(List<String> segments, int mode) {
    }

    HostCopy(SecureTree tree) {
        this.tree = tree;
    }

    /** Copies the contents of {@code host} into the workspace directory {@code target} (made if missing). */
    void copyIn(Path host, List<String> target) throws IOException {
        if (!Files.isDirectory(host)) {
            throw new FileSystemException(host.toString(), null, "the host directory does not exist or is not a directory");
        }
        tree.openDir(target, true).close();
        List<DirMode> dirModes = new ArrayList<>();
        Files.walkFileTree(host, EnumSet.noneOf(FileVisitOption.class), Integer.MAX_VALUE, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                List<String> segs = segments(target, host, dir);
                tree.openDir(segs, true).close();
                dirModes.add(new DirMode(segs, hostMode(dir)));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                List<String> segs = segments(target, host, file);
                if (attrs.isSymbolicLink()) {
                    try (SecureDirectoryStream<Path> dir = tree.openDir(segs.subList(0, segs.size() - 1), false)) {
                        tree.makeSymlink(dir, segs.get(segs.size() - 1), Files.readSymbolicLink(file).toString());
                    }
                } else if (attrs.isRegularFile()) {
                    try (SecureDirectoryStream<Path> dir = tree.openDir(segs.subList(0, segs.size() - 1), false);
                         InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
                        tree.writeFile(dir, segs.get(segs.size() - 1), in, Optional.of(hostMode(file)));
                    }
                }
                return FileVisitResult.CONTINUE;
            }
        });
        for (int i = dirModes.size() - 1; i >= 0; i--) {
            DirMode d = dirModes.get(i);
            try (SecureDirectoryStream<Path> dir = tree.openDir(d.segments(), false)) {
                dir.getFileAttributeView(java.nio.file.attribute.PosixFileAttributeView.class)
                        .setPermissions(SecureTree.perms(d.mode()));
            }
        }
    }

    /** Copies the workspace directory {@code source} into {@code host}, made if missing. */
    void copyOut(List<String> source, Path host) throws IOException {
        Files.createDirectories(host);
        new TreeWalker(tree).walk(source, new TreeWalker.Visitor() {
            @Override
            public void directory(String rel, PosixFileAttributes attrs) throws IOException {
                Path d = host.resolve(rel);
                if (!Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) {
                    Files.createDirectory(d);
                }
                Files.setPosixFilePermissions(d, SecureTree.perms(SecureTree.mode(attrs.permissions()) | 0700));
            }

            @Override
            public void file(String rel, PosixFileAttributes attrs, SeekableByteChannel content, long size)
                    throws IOException {
                Path f = host.resolve(rel);
                // NOFOLLOW: a symlink already at that name on the host is refused, not written through
                try (OutputStream out = Files.newOutputStream(f, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING, LinkOption.NOFOLLOW_LINKS)) {
                    InputStream in = Channels.newInputStream(content);
                    in.transferTo(out);
                }
                Files.setPosixFilePermissions(f, SecureTree.perms(SecureTree.mode(attrs.permissions())));
            }

            @Override
            public void symlink(String rel, PosixFileAttributes attrs, String target) throws IOException {
                Files.createSymbolicLink(host.resolve(rel), host.getFileSystem().getPath(target));
            }
        });
    }

    private static List<String> segments(List<String> target, Path host, Path p) {
        List<String> segs = new ArrayList<>(target);
        for (Path part : host.relativize(p)) {
            String s = part.toString();
            if (!s.isEmpty()) {
                segs.add(s);
            }
        }
        return segs;
    }

    private static int hostMode(Path p) throws IOException {
        return SecureTree.mode(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
    }
}
