package dev.sandbox4j.vm.internal.image;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveOutputStream;
import org.apache.commons.compress.archivers.cpio.CpioConstants;

/**
 * An initramfs in the kernel's "newc" cpio format, owned by root, with mtime 0 so that the same inputs
 * always give the same bytes. Not thread-safe.
 */
final class CpioWriter implements AutoCloseable {
    private final CpioArchiveOutputStream out;
    private long inode = 1;

    CpioWriter(OutputStream sink) {
        this.out = new CpioArchiveOutputStream(sink, CpioConstants.FORMAT_NEW);
    }

    void dir(String name, int mode) throws IOException {
        put(name, CpioConstants.C_ISDIR | mode, 2, new byte[0]);
    }

    void file(String name, int mode, byte[] content) throws IOException {
        put(name, CpioConstants.C_ISREG | mode, 1, content);
    }

    void symlink(String name, String target) throws IOException {
        put(name, CpioConstants.C_ISLNK | 0777, 1, target.getBytes(StandardCharsets.UTF_8));
    }

    private void put(String name, long mode, int links, byte[] content) throws IOException {
        CpioArchiveEntry e = new CpioArchiveEntry(CpioConstants.FORMAT_NEW, name, content.length);
        e.setMode(mode);
        e.setUID(0);
        e.setGID(0);
        e.setTime(0);
        e.setNumberOfLinks(links);
        e.setInode(inode++);
        out.putArchiveEntry(e);
        out.write(content);
        out.closeArchiveEntry();
    }

    @Override
    public void close() throws IOException {
        out.finish();
        out.close();
    }
}
