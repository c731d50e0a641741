package dev.sandbox4j.vm.internal.protocol;

/**
 * One protocol frame.
 *
 * @param type    what it is
 * @param id      the request or exec id; 0 for session-level frames
 * @param payload its payload, at most {@link FrameCodec#MAX_PAYLOAD} bytes (not copied: do not change it)
 */
public record Frame(FrameType type, int id, byte[] payload) {
    public Frame {
        if (payload.length > FrameCodec.MAX_PAYLOAD) {
            throw new IllegalArgumentException(type + " frame of " + payload.length + " bytes is over the "
                    + FrameCodec.MAX_PAYLOAD + "-byte limit");
        }
    }

    public static Frame of(FrameType type, int id) {
        return new Frame(type, id, new byte[0]);
    }

    @Override
    public String toString() {
        return type + "#" + Integer.toUnsignedString(id) + "(" + payload.length + " bytes)";
    }
}
