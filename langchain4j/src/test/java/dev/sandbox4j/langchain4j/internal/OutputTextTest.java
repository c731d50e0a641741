package dev.sandbox4j.langchain4j.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class OutputTextTest {

    @Test
    void utf8TextIsKeptAsItIs() {
        String text = "héllo wörld ✓ \uD83D\uDE00\n";
        assertThat(OutputText.of(text.getBytes(StandardCharsets.UTF_8), false)).isEqualTo(text);
        assertThat(OutputText.of(new byte[0], false)).isEmpty();
    }

    @Test
    void binaryOutputIsSummarisedWithAHexdumpOfItsStart() {
        byte[] elf = new byte[200];
        byte[] head = {0x7f, 'E', 'L', 'F', 2, 1, 1, 0};
        System.arraycopy(head, 0, elf, 0, head.length);
        Arrays.fill(elf, 16, 200, (byte) 0xff);
        String s = OutputText.of(elf, false);
        assertThat(s).startsWith("200 bytes of binary output; the first 64 bytes:\n"
                        + "00000000  7f 45 4c 46 02 01 01 00 00 00 00 00 00 00 00 00  |.ELF............|\n"
                        + "00000010  ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff  |................|\n")
                .endsWith("(write it to a file and inspect it with od, xxd or a script to see more)")
                .doesNotContain("\uFFFD");
        assertThat(s.lines().filter(l -> l.matches("[0-9a-f]{8} .*"))).hasSize(4);
    }

    @Test
    void shortBinaryOutputDumpsWhatThereIs() {
        assertThat(OutputText.of(new byte[] {0, 1, 'a'}, false)).isEqualTo("3 bytes of binary output; the first 3 bytes:\n"
                + "00000000  00 01 61" + " ".repeat(39) + "  |..a|\n"
                + "(write it to a file and inspect it with od, xxd or a script to see more)");
    }

    @Test
    void aFewStrayBytesInTextAreEscapedNotReplaced() {
        byte[] latin1 = "caf\u00e9 ok\n".getBytes(StandardCharsets.ISO_8859_1);
        assertThat(OutputText.of(latin1, false)).isEqualTo("caf\\xe9 ok\n");
    }

    @Test
    void aCharacterCutInTwoByTheCapIsNotBinary() {
        byte[] full = ("x".repeat(100) + "✓").getBytes(StandardCharsets.UTF_8);
        byte[] cut = Arrays.copyOf(full, full.length - 1);
        assertThat(OutputText.of(cut, true)).isEqualTo("x".repeat(100) + "\\xe2\\x9c");
    }

    @Test
    void manyBytesThatAreNotUtf8AreBinary() {
        byte[] noise = new byte[1000];
        for (int i = 0; i < noise.length; i++) {
            noise[i] = (byte) (0x80 + i % 64);
        }
        assertThat(OutputText.of(noise, true)).startsWith("1000 bytes of binary output (cut at the cap); the first 64 bytes:\n");
    }
}
