package dev.sandbox4j.vm.internal.protocol;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.HexFormat;
import java.util.Optional;

/**
 * Reads and writes frames (PROTOCOL.md, "Frames"). A read never allocates more than the header's length,
 * and that length is checked against {@link #MAX_PAYLOAD} first: a hostile guest cannot make the host
 * allocate more. Stateless; callers serialise their own reads and writes.
 */
public final class FrameCodec {
    public static final int MAGIC = 0x5334;
    public static final int HEADER = 12;
    public static final int MAX_PAYLOAD = 1 << 20;

    private FrameCodec() {
    }

    public static byte[] encode(Frame f) {
        ByteBuffer b = ByteBuffer.allocate(HEADER + f.payload().length);
        b.putShort((short) MAGIC).put((byte) f.type().code()).put((byte) 0).putInt(f.id()).putInt(f.payload().length);
        b.put(f.payload());
        return b.array();
    }

    public static void write(OutputStream out, Frame f) throws IOException {
        out.write(encode(f));
        out.flush();
    }

    /**
     * The next frame, or empty at a clean end of stream (between frames).
     *
     * @throws AgentProtocolException a malformed header or an unknown type
     * @throws EOFException           the stream ended inside a frame
     */
    public static Optional<Frame> read(InputStream in) throws IOException {
        byte[] h = new byte[HEADER];
        int got = in.readNBytes(h, 0, HEADER);
        if (got == 0) {
            return Optional.empty();
        }
        if (got < HEADER) {
            throw new EOFException("the stream ended inside a frame header (" + got + " of " + HEADER + " bytes)");
        }
        ByteBuffer b = ByteBuffer.wrap(h);
        int magic = b.getShort() & 0xffff;
        int code = b.get() & 0xff;
        int flags = b.get() & 0xff;
        int id = b.getInt();
        long length = b.getInt() & 0xffffffffL;
        if (magic != MAGIC || flags != 0 || length > MAX_PAYLOAD) {
            throw new AgentProtocolException("malformed frame header " + HexFormat.of().formatHex(h) + " (magic "
                    + Integer.toHexString(magic) + ", flags " + flags + ", length " + length + "; expected magic 5334,"
                    + " flags 0, length at most " + MAX_PAYLOAD + ")");
        }
        FrameType type = FrameType.of(code).orElseThrow(() -> new AgentProtocolException(
                "frame #" + Integer.toUnsignedString(id) + " has the unknown type 0x" + Integer.toHexString(code)));
        byte[] payload = in.readNBytes((int) length);
        if (payload.length < length) {
            throw new EOFException("the stream ended inside the payload of " + type + " (" + payload.length + " of "
                    + length + " bytes)");
        }
        return Optional.of(new Frame(type, id, payload));
    }
}
