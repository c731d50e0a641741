package dev.sandbox4j.vm.internal.protocol;

import dev.sandbox4j.FileEntry;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Decodes LIST payloads into directory entries. Stateless. */
public final class ListDecoder {
    /** FLIST's flag asking for each entry's mtime (see PROTOCOL.md). */
    public static final int WITH_MTIME = 1;

    private ListDecoder() {
    }

    /** A LIST answering an FLIST sent with {@link #WITH_MTIME}: each entry carries {@code u64 mtime_ns}. */
    public static List<FileEntry> decode(Frame f) {
        PayloadReader r = new PayloadReader(f);
        long n = r.u32();
        if (n > f.payload().length / 21) {
            throw r.malformed(n + " entries cannot fit in " + f.payload().length + " bytes");
        }
        List<FileEntry> out = new ArrayList<>((int) n);
        for (long i = 0; i < n; i++) {
            String name = r.str();
            int type = r.u8();
            long size = r.u64();
            long mtimeNs = r.u64(); // signed: before the epoch is negative
            if (type > 3 || size < 0 || name.isEmpty() || name.contains("/")) {
                throw r.malformed("entry " + i + " ('" + name + "', type " + type + ") is impossible");
            }
            out.add(new FileEntry(name, FileEntry.Type.values()[type], size,
                    Instant.ofEpochSecond(Math.floorDiv(mtimeNs, 1_000_000_000L), Math.floorMod(mtimeNs, 1_000_000_000L))));
        }
        r.end();
        return out;
    }
}
