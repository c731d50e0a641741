package dev.sandbox4j.vm.internal.image;

import dev.sandbox4j.SandboxStartException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.apache.commons.compress.compressors.lz4.BlockLZ4CompressorInputStream;

/**
 * Turns a Linux bzImage into the uncompressed ELF {@code vmlinux} that QEMU boots directly through its
 * PVH entry (microvm has no firmware to run the bzImage's own decompressor, and a PVH boot skips it
 * anyway). The payload is found through the boot protocol header (payload_offset, payload_length);
 * gzip and the kernel's legacy LZ4 framing are decoded, an already uncompressed ELF is taken as it is.
 * Stateless.
 */
public final class KernelExtractor {
    private static final int XEN_ELFNOTE_PHYS32_ENTRY = 18;
    private static final int LZ4_LEGACY_MAGIC = 0x184c2102;

    private KernelExtractor() {
    }

    /** True when {@code file} starts with the ELF magic. */
    public static boolean isElf(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] m = in.readNBytes(4);
            return m.length == 4 && m[0] == 0x7f && m[1] == 'E' && m[2] == 'L' && m[3] == 'F';
        }
    }

    /** The ELF kernel inside a bzImage, or the file itself when it already is one. */
    public static byte[] vmlinux(Path kernel) throws IOException {
        byte[] image = Files.readAllBytes(kernel);
        if (image.length >= 4 && image[0] == 0x7f && image[1] == 'E' && image[2] == 'L' && image[3] == 'F') {
            return image;
        }
        ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        if (image.length < 0x250 || b.getInt(0x202) != 0x53726448) { // "HdrS"
            throw new SandboxStartException("kernel " + kernel + " is neither an ELF vmlinux nor a bzImage (no HdrS"
                    + " signature); give a Linux kernel with SandboxImage.vm(kernel, initramfs) or the option vm.kernel");
        }
        int setupSects = image[0x1f1] == 0 ? 4 : image[0x1f1] & 0xff;
        long start = (setupSects + 1L) * 512 + (b.getInt(0x248) & 0xffffffffL);
        long length = b.getInt(0x24c) & 0xffffffffL;
        if (start + length > image.length || length < 8) {
            throw new SandboxStartException("kernel " + kernel + ": its payload (offset " + start + ", " + length
                    + " bytes) lies outside the file; the file is truncated or not a bzImage");
        }
        byte[] payload = Arrays.copyOfRange(image, (int) start, (int) (start + length));
        ByteBuffer p = ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN);
        int expected = p.getInt(payload.length - 4);
        byte[] out;
        if ((payload[0] & 0xff) == 0x1f && (payload[1] & 0xff) == 0x8b) {
            try (InputStream in = new GzipCompressorInputStream(new ByteArrayInputStream(payload))) {
                out = in.readAllBytes();
            }
        } else if (p.getInt(0) == LZ4_LEGACY_MAGIC) {
            out = lz4Legacy(payload, payload.length - 4);
        } else if (payload[0] == 0x7f && payload[1] == 'E' && payload[2] == 'L' && payload[3] == 'F') {
            out = payload;
            expected = payload.length;
        } else {
            throw new SandboxStartException("kernel " + kernel + ": its payload is compressed with a format this"
                    + " library cannot decode (first bytes " + String.format("%02x%02x%02x%02x", payload[0], payload[1],
                    payload[2], payload[3]) + "; gzip and lz4 are supported). Extract it yourself"
                    + " (linux's scripts/extract-vmlinux) and give the ELF vmlinux as the kernel");
        }
        if (out.length < expected) {
            throw new SandboxStartException("kernel " + kernel + ": the payload decompressed to " + out.length
                    + " bytes, the header promises " + expected + "; the file is damaged");
        }
        return out;
    }

    /** The kernel's "legacy" LZ4 framing: a magic, then blocks of (u32 compressed size, block). */
    static byte[] lz4Legacy(byte[] payload, int end) throws IOException {
        ByteBuffer p = ByteBuffer.wrap(payload, 0, end).order(ByteOrder.LITTLE_ENDIAN);
        ByteArrayOutputStream out = new ByteArrayOutputStream(payload.length * 4);
        p.position(4);
        while (p.remaining() >= 4) {
            int size = p.getInt();
            if (size == LZ4_LEGACY_MAGIC) {
                continue; // a concatenated stream
            }
            if (size <= 0 || size > p.remaining()) {
                throw new IOException("lz4 block of " + size + " bytes at offset " + (p.position() - 4) + " overruns the payload");
            }
            try (InputStream in = new BlockLZ4CompressorInputStream(new ByteArrayInputStream(payload, p.position(), size))) {
                in.transferTo(out);
            }
            p.position(p.position() + size);
        }
        return out.toByteArray();
    }

    /** True when the ELF kernel has the PVH entry note QEMU needs to boot it without firmware. */
    public static boolean hasPvhNote(Path elf) throws IOException {
        try (FileChannel ch = FileChannel.open(elf, StandardOpenOption.READ)) {
            ByteBuffer h = read(ch, 0, 64);
            if (h.get(4) != 2) { // ELFCLASS64; PVH kernels of x86_64 are ELF64
                return false;
            }
            long phoff = h.getLong(0x20);
            int phentsize = h.getShort(0x36) & 0xffff;
            int phnum = h.getShort(0x38) & 0xffff;
            for (int i = 0; i < phnum; i++) {
                ByteBuffer ph = read(ch, phoff + (long) i * phentsize, 56);
                if (ph.getInt(0) != 4) { // PT_NOTE
                    continue;
                }
                long off = ph.getLong(8);
                long size = ph.getLong(32);
                if (size > 1 << 20) {
                    continue;
                }
                ByteBuffer n = read(ch, off, (int) size);
                while (n.remaining() >= 12) {
                    int namesz = n.getInt();
                    int descsz = n.getInt();
                    int type = n.getInt();
                    int skip = ((namesz + 3) & ~3) + ((descsz + 3) & ~3);
                    byte[] name = new byte[Math.min(Math.max(namesz, 0), n.remaining())];
                    n.get(name);
                    if (type == XEN_ELFNOTE_PHYS32_ENTRY && namesz == 4 && name[0] == 'X' && name[1] == 'e' && name[2] == 'n') {
                        return true;
                    }
                    int next = n.position() - name.length + skip;
                    if (skip < 0 || next > n.limit()) {
                        break;
                    }
                    n.position(next);
                }
            }
            return false;
        }
    }

    private static ByteBuffer read(FileChannel ch, long at, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            if (ch.read(b, at + b.position()) < 0) {
                throw new IOException("ELF file ends at " + (at + b.position()) + ", inside its headers");
            }
        }
        return b.flip();
    }
}
