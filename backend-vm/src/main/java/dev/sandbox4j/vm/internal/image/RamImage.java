package dev.sandbox4j.vm.internal.image;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * A snapshot's guest RAM, stored compactly: only its non-zero pages, as extents. A freshly booted 1 GiB
 * guest touches under a tenth of its pages; QEMU's own migration stream would send the rest as zero-page
 * records, and loading those reads every page of the new guest RAM, which allocates all of it. Restoring
 * from this image writes the non-zero extents (with sendfile) into a new sparse RAM file and leaves the
 * rest as holes. Format: magic "S4RAM001", u64 RAM size, u32 extent count, extents (u64 offset, u64
 * length), then the extents' bytes in order; little-endian. Stateless.
 */
public final class RamImage {
    private static final long MAGIC = 0x313030_4d41_5234_53L; // "S4RAM001" little-endian
    private static final int PAGE = 4096;
    private static final long CHUNK = 256L << 20;

    private RamImage() {
    }

    /** One run of non-zero pages. */
    record Extent(long offset, long length) {
    }

    /** Writes the non-zero pages of {@code ram} to {@code out}; returns the image's size. */
    public static long save(Path ram, Path out) throws IOException {
        try (FileChannel in = FileChannel.open(ram, StandardOpenOption.READ);
             FileChannel o = FileChannel.open(out, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            long size = in.size();
            List<Extent> extents = scan(in, size);
            ByteBuffer h = ByteBuffer.allocate(20 + 16 * extents.size()).order(ByteOrder.LITTLE_ENDIAN);
            h.putLong(MAGIC).putLong(size).putInt(extents.size());
            for (Extent e : extents) {
                h.putLong(e.offset()).putLong(e.length());
            }
            h.flip();
            while (h.hasRemaining()) {
                o.write(h);
            }
            for (Extent e : extents) {
                long done = 0;
                while (done < e.length()) {
                    done += in.transferTo(e.offset() + done, e.length() - done, o);
                }
            }
            return o.size();
        }
    }

    private static List<Extent> scan(FileChannel in, long size) throws IOException {
        List<Extent> out = new ArrayList<>();
        long runStart = -1;
        for (long base = 0; base < size; base += CHUNK) {
            long len = Math.min(CHUNK, size - base);
            MappedByteBuffer m = in.map(FileChannel.MapMode.READ_ONLY, base, len);
            m.order(ByteOrder.LITTLE_ENDIAN);
            for (int p = 0; p < len; p += PAGE) {
                boolean zero = true;
                for (int i = p; i < p + PAGE; i += 8) {
                    if (m.getLong(i) != 0) {
                        zero = false;
                        break;
                    }
                }
                long at = base + p;
                if (!zero && runStart < 0) {
                    runStart = at;
                } else if (zero && runStart >= 0) {
                    out.add(new Extent(runStart, at - runStart));
                    runStart = -1;
                }
            }
        }
        if (runStart >= 0) {
            out.add(new Extent(runStart, size - runStart));
        }
        return out;
    }

    /**
     * Makes the RAM file {@code ram} (sparse, {@code size} bytes) from an image; the image must be for
     * exactly that size.
     */
    public static void restore(Path image, Path ram, long size) throws IOException {
        allocate(ram, size);
        fill(image, ram, size);
    }

    /**
     * Makes the RAM file {@code ram}: {@code size} bytes, all a hole (RAM the guest never touched costs
     * nothing until it does). QEMU may map it from then on; {@link #fill} writes the image into it.
     */
    public static void allocate(Path ram, long size) throws IOException {
        try (java.io.RandomAccessFile file = new java.io.RandomAccessFile(ram.toFile(), "rw")) {
            file.setLength(size);
        }
    }

    /** Writes the image's extents into the RAM file {@link #allocate} made; the image must be for exactly {@code size}. */
    public static void fill(Path image, Path ram, long size) throws IOException {
        try (FileChannel in = FileChannel.open(image, StandardOpenOption.READ);
             FileChannel o = FileChannel.open(ram, StandardOpenOption.WRITE)) {
            if (o.size() != size) {
                throw new IOException("RAM file " + ram + " has " + o.size() + " bytes, not " + size);
            }
            ByteBuffer h = ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN);
            readFully(in, h, 0);
            h.flip();
            if (h.getLong() != MAGIC) {
                throw new IOException("RAM image " + image + " has no S4RAM001 magic");
            }
            long imageSize = h.getLong();
            int n = h.getInt();
            if (imageSize != size || n < 0 || n > size / PAGE + 1) {
                throw new IOException("RAM image " + image + " is for " + imageSize + " bytes of RAM with " + n
                        + " extents; expected " + size + " bytes");
            }
            ByteBuffer ex = ByteBuffer.allocate(16 * n).order(ByteOrder.LITTLE_ENDIAN);
            readFully(in, ex, 20);
            ex.flip();
            long at = 20 + 16L * n;
            for (int i = 0; i < n; i++) {
                long off = ex.getLong();
                long len = ex.getLong();
                if (off < 0 || len <= 0 || off + len > size || at + len > in.size()) {
                    throw new IOException("RAM image " + image + ": extent " + i + " (" + off + "+" + len + ") is out of range");
                }
                long done = 0;
                while (done < len) {
                    long t = in.transferTo(at + done, len - done, o.position(off + done));
                    if (t <= 0) {
                        throw new IOException("RAM image " + image + " ends inside extent " + i);
                    }
                    done += t;
                }
                at += len;
            }
        }
    }

    private static void readFully(FileChannel in, ByteBuffer b, long at) throws IOException {
        while (b.hasRemaining()) {
            if (in.read(b, at + b.position()) < 0) {
                throw new IOException("RAM image ends in its header");
            }
        }
    }
}
