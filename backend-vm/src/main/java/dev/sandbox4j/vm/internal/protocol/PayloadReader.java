package dev.sandbox4j.vm.internal.protocol;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Reads a payload field by field, checking every length against what is left: a malformed payload is an
 * {@link AgentProtocolException} naming the frame, never an out-of-bounds read or a huge allocation.
 * Not thread-safe.
 */
public final class PayloadReader {
    private final Frame frame;
    private final ByteBuffer b;

    public PayloadReader(Frame frame) {
        this.frame = frame;
        this.b = ByteBuffer.wrap(frame.payload());
    }

    public int u8() {
        need(1, "u8");
        return b.get() & 0xff;
    }

    public long u32() {
        need(4, "u32");
        return b.getInt() & 0xffffffffL;
    }

    public long u64() {
        need(8, "u64");
        return b.getLong();
    }

    public String str() {
        long n = u32();
        need(n, "string of " + n + " bytes");
        byte[] s = new byte[(int) n];
        b.get(s);
        for (byte c : s) {
            if (c == 0) {
                throw malformed("a string holds a NUL byte");
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(s)).toString();
        } catch (CharacterCodingException e) {
            throw malformed("a string is not UTF-8");
        }
    }

    /** The rest of the payload. */
    public byte[] rest() {
        byte[] r = new byte[b.remaining()];
        b.get(r);
        return r;
    }

    /** Checks that the payload was consumed exactly. */
    public void end() {
        if (b.hasRemaining()) {
            throw malformed(b.remaining() + " bytes left over");
        }
    }

    public AgentProtocolException malformed(String what) {
        return new AgentProtocolException("malformed payload of " + frame + ": " + what);
    }

    private void need(long n, String what) {
        if (n > b.remaining()) {
            throw malformed(what + " expected at offset " + b.position() + ", but only " + b.remaining() + " bytes are left");
        }
    }
}
