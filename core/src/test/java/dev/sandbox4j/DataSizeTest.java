package dev.sandbox4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DataSizeTest {

    @ParameterizedTest
    @CsvSource({
            "100, 100",
            "0, 0",
            "512m, 536870912",
            "512M, 536870912",
            "1g, 1073741824",
            "2t, 2199023255552",
            "64k, 65536",
            "64KiB, 65536",
            "64kb, 65536",
            "64 KiB, 65536",
            "' 1g ', 1073741824",
            "100b, 100",
            "8388607t, 9223370937343148032"})
    void parsesBinaryUnits(String text, long bytes) {
        assertThat(DataSize.parse(text).bytes()).isEqualTo(bytes);
    }

    @Test
    void rejectsOverflow() {
        // 2^23 t = 2^63 bytes: one past Long.MAX_VALUE
        assertThatThrownBy(() -> DataSize.parse("8388608t"))
                .isInstanceOf(InvalidInputException.class)
                .hasMessage("DataSize.parse: '8388608t' is too large");
        assertThatThrownBy(() -> DataSize.parse("99999999999999999999"))
                .isInstanceOf(InvalidInputException.class)
                .hasMessage("DataSize.parse: '99999999999999999999' is too large");
    }

    @ParameterizedTest
    @ValueSource(strings = {"-1", "-512m", "abc", "1.5g", "", "   ", "m", "1x", "1 mb extra", "0x10", "1e3"})
    void rejectsNegativeAndGarbage(String text) {
        assertThatThrownBy(() -> DataSize.parse(text))
                .isInstanceOf(InvalidInputException.class)
                .hasMessage("DataSize.parse: '" + text
                        + "' is not a size; use a whole number with an optional unit k, m, g or t (e.g. 512m, 1g, 64KiB)");
    }

    @Test
    void rejectsNullAndNegativeBytes() {
        assertThatThrownBy(() -> DataSize.parse(null))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("no text given");
        assertThatThrownBy(() -> DataSize.ofBytes(-1))
                .isInstanceOf(InvalidInputException.class)
                .hasMessage("DataSize: -1 bytes is negative; give a size of 0 or more");
    }

    @ParameterizedTest
    @CsvSource({
            "536870912, 512m",
            "1073741824, 1g",
            "1536, 1536",
            "1024, 1k",
            "1025, 1025",
            "0, 0",
            "1099511627776, 1t",
            "3221225472, 3g"})
    void toStringUsesTheLargestExactUnit(long bytes, String text) {
        assertThat(DataSize.ofBytes(bytes).toString()).isEqualTo(text);
        assertThat(DataSize.parse(text)).isEqualTo(DataSize.ofBytes(bytes));
    }

    @Test
    void factoriesAndConversionsAgree() {
        assertThat(DataSize.ofKiB(64)).isEqualTo(DataSize.parse("64k"));
        assertThat(DataSize.ofMiB(512)).isEqualTo(DataSize.parse("512m"));
        assertThat(DataSize.ofGiB(2)).isEqualTo(DataSize.parse("2g"));
        assertThat(DataSize.ofMiB(3).toKiB()).isEqualTo(3072);
        assertThat(DataSize.ofGiB(1).toMiB()).isEqualTo(1024);
        assertThat(DataSize.ofMiB(1)).isLessThan(DataSize.ofMiB(2));
        assertThat(DataSize.parse(String.valueOf(Long.MAX_VALUE)).bytes()).isEqualTo(Long.MAX_VALUE);
        assertThat(DataSize.parse(DataSize.ofBytes(Long.MAX_VALUE).toString())).isEqualTo(DataSize.ofBytes(Long.MAX_VALUE));
    }
}
