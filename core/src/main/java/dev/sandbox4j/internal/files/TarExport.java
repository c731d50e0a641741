package dev.sandbox4j.internal.files;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Packs a workspace directory as a tar stream: POSIX (pax) long names and big numbers, entries in name
 * order, directories with a trailing '/', symlinks stored as links (never followed), permission bits
 * and modification times kept. Fifos, sockets and devices are left out. A file that changes while it
 * is packed is stored with the size it had when opened (cut, or padded with zeros).
 */
final class TarExport {
    private final SecureTree tree;

    TarExport(SecureTree tree) {
        this.tree = tree;
    }

    void pack(List<String> dirSegments, OutputStream out) throws IOException {
        TarArchiveOutputStream tar = new TarArchiveOutputStream(new KeepOpen(out), StandardCharsets.UTF_8.name());
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        tar.setAddPaxHeadersForNonAsciiNames(true);
        new TreeWalker(tree).walk(dirSegments, new TreeWalker.Visitor() {
            @Override
            public void directory(String rel, PosixFileAttributes attrs) throws IOException {
                TarArchiveEntry e = new TarArchiveEntry(rel + "/");
                common(e, attrs);
                tar.putArchiveEntry(e);
                tar.closeArchiveEntry();
            }

            @Override
            public void file(String rel, PosixFileAttributes attrs, SeekableByteChannel content, long size)
                    throws IOException {
                TarArchiveEntry e = new TarArchiveEntry(rel);
                common(e, attrs);
                e.setSize(size);
                tar.putArchiveEntry(e);
                ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
                long left = size;
                while (left > 0) {
                    buf.clear().limit((int) Math.min(buf.capacity(), left));
                    int n = content.read(buf);
                    if (n < 0) {
                        // the file shrank while we packed it: pad to the size announced in the header
                        tar.write(new byte[(int) Math.min(buf.capacity(), left)]);
                        left -= Math.min(buf.capacity(), left);
                        continue;
                    }
                    tar.write(buf.array(), 0, n);
                    left -= n;
                }
                tar.closeArchiveEntry();
            }

            @Override
            public void symlink(String rel, PosixFileAttributes attrs, String target) throws IOException {
                TarArchiveEntry e = new TarArchiveEntry(rel, TarConstants.LF_SYMLINK);
                common(e, attrs);
                e.setLinkName(target);
                tar.putArchiveEntry(e);
                tar.closeArchiveEntry();
            }
        });
        tar.finish();
        tar.flush();
    }

    private static void common(TarArchiveEntry e, PosixFileAttributes attrs) {
        e.setMode((e.isSymbolicLink() ? 0120000 : e.isDirectory() ? 040000 : 0100000)
                | SecureTree.mode(attrs.permissions()));
        e.setModTime(attrs.lastModifiedTime());
    }

    /** The caller's stream stays open: tarOut writes to it, the caller closes it. */
    private static final class KeepOpen extends FilterOutputStream {
        KeepOpen(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            out.flush();
        }
    }
}
