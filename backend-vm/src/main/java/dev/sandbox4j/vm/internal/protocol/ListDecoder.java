package dev.sandbox4j.vm.internal.protocol;

import dev.sandbox4j.FileEntry;
import java.util.ArrayList;
import java.util.List;

/** Decodes LIST payloads into directory entries. Stateless. */
public final class ListDecoder {
    private ListDecoder() {
    }

    public static List<FileEntry> decode(Frame f) {
        PayloadReader r = new PayloadReader(f);
        long n = r.u32();
        if (n > f.payload().length / 13) {
            throw r.malformed(n + " entries cannot fit in " + f.payload().length + " bytes");
        }
        List<FileEntry> out = new ArrayList<>((int) n);
        for (long i = 0; i < n; i++) {
            String name = r.str();
            int type = r.u8();
            long size = r.u64();
            if (type > 3 || size < 0 || name.isEmpty() || name.contains("/")) {
                throw r.malformed("entry " + i + " ('" + name + "', type " + type + ") is impossible");
            }
            out.add(new FileEntry(name, FileEntry.Type.values()[type], size));
        }
        r.end();
        return out;
    }
}
