package dev.sandbox4j.vm.internal.protocol;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Builds a payload field by field (PROTOCOL.md types); big-endian. Not thread-safe. */
public final class PayloadWriter {
    /** The protocol's "no limit" value. */
    public static final long NONE = -1L;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream(256);

    public PayloadWriter u8(int v) {
        out.write(v);
        return this;
    }

    public PayloadWriter u32(long v) {
        out.write((int) (v >>> 24));
        out.write((int) (v >>> 16));
        out.write((int) (v >>> 8));
        out.write((int) v);
        return this;
    }

    public PayloadWriter u64(long v) {
        return u32(v >>> 32).u32(v);
    }

    public PayloadWriter str(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        u32(b.length);
        out.writeBytes(b);
        return this;
    }

    public PayloadWriter list(List<String> items) {
        u32(items.size());
        items.forEach(this::str);
        return this;
    }

    /** A {@code blob}: the length, then the bytes. */
    public PayloadWriter blob(byte[] b) {
        u32(b.length);
        out.writeBytes(b);
        return this;
    }

    public PayloadWriter bytes(byte[] b) {
        out.writeBytes(b);
        return this;
    }

    public int size() {
        return out.size();
    }

    public byte[] toByteArray() {
        return out.toByteArray();
    }
}
