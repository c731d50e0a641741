package dev.sandbox4j.vm.internal.protocol;

import java.util.Optional;

/** The message types of PROTOCOL.md: codes below 0x80 go from the host to the agent, the others back. */
public enum FrameType {
    INIT(0x01), EXEC(0x02), STDIN(0x03), KILL(0x04), FREAD(0x05), FWRITE(0x06), FLIST(0x07), FDELETE(0x08),
    PING(0x09), TAROUT(0x0a), TARIN(0x0b),
    READY(0x81), OK(0x82), ERROR(0x83), STARTED(0x84), STDOUT(0x85), STDERR(0x86), EXIT(0x87), DATA(0x88),
    END(0x89), LIST(0x8a);

    private static final FrameType[] BY_CODE = new FrameType[256];

    static {
        for (FrameType t : values()) {
            BY_CODE[t.code] = t;
        }
    }

    private final int code;

    FrameType(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** True for the types the agent sends. */
    public boolean fromAgent() {
        return code >= 0x80;
    }

    public static Optional<FrameType> of(int code) {
        return code >= 0 && code < 256 ? Optional.ofNullable(BY_CODE[code]) : Optional.empty();
    }
}
