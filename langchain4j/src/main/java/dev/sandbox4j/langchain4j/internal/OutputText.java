package dev.sandbox4j.langchain4j.internal;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * A command's output stream as text a model can read. UTF-8 text is kept as it is; output with a NUL byte
 * or with many bytes that are not UTF-8 is binary, and becomes a line saying how many bytes it has and a
 * hexdump of its start (a model gains nothing from replacement characters, and they waste its context);
 * text with a few stray bytes keeps them as {@code \xNN}. Stateless and thread-safe.
 */
public final class OutputText {
    /** How many bytes of binary output the hexdump shows. */
    static final int DUMP_BYTES = 64;

    private OutputText() {
    }

    /**
     * @param bytes     the stream's bytes
     * @param truncated true when the sandbox's cap cut the stream (its last character may be cut in two)
     */
    public static String of(byte[] bytes, boolean truncated) {
        if (bytes.length == 0) {
            return "";
        }
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        StringBuilder text = new StringBuilder(bytes.length);
        int stray = 0;
        boolean nul = false;
        while (true) {
            CoderResult r = decoder.decode(in, out, true);
            out.flip();
            text.append(out);
            out.clear();
            if (r.isUnderflow()) {
                break;
            }
            if (r.isError()) {
                int n = r.length();
                // a multi-byte character cut by the output cap at the very end is not binary data
                boolean cutAtEnd = truncated && in.position() + n == bytes.length && n < 4;
                for (int i = 0; i < n; i++) {
                    text.append(String.format("\\x%02x", bytes[in.position() + i] & 0xff));
                }
                if (!cutAtEnd) {
                    stray += n;
                }
                in.position(in.position() + n);
            }
        }
        for (byte b : bytes) {
            if (b == 0) {
                nul = true;
                break;
            }
        }
        // a handful of stray bytes in text (Latin-1 in a log line) reads better escaped than dumped
        if (nul || stray > 8 && stray * 100L > bytes.length) {
            return binary(bytes, truncated);
        }
        return text.toString();
    }

    static String binary(byte[] bytes, boolean truncated) {
        int shown = Math.min(DUMP_BYTES, bytes.length);
        StringBuilder b = new StringBuilder();
        b.append(bytes.length).append(" bytes of binary output").append(truncated ? " (cut at the cap)" : "")
                .append("; the first ").append(shown).append(" bytes:\n");
        for (int row = 0; row < shown; row += 16) {
            b.append(String.format("%08x ", row));
            StringBuilder ascii = new StringBuilder();
            for (int i = row; i < row + 16; i++) {
                if (i < shown) {
                    int v = bytes[i] & 0xff;
                    b.append(String.format(" %02x", v));
                    ascii.append(v >= 0x20 && v < 0x7f ? (char) v : '.');
                } else {
                    b.append("   ");
                }
            }
            b.append("  |").append(ascii).append("|\n");
        }
        b.append("(write it to a file and inspect it with od, xxd or a script to see more)");
        return b.toString();
    }
}
