package dev.sandbox4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {

    @ParameterizedTest
    @CsvSource({
            "500ms, PT0.5S",
            "10s, PT10S",
            "2m, PT2M",
            "1h, PT1H",
            "0s, PT0S",
            "90S, PT1M30S",
            "' 10 s ', PT10S",
            "PT30S, PT30S",
            "pt1m30s, PT1M30S",
            "PT0.001500001S, PT0.001500001S"})
    void parsesShortAndIsoForms(String text, String iso) {
        assertThat(Durations.parse(text)).isEqualTo(Duration.parse(iso));
    }

    @ParameterizedTest
    @ValueSource(strings = {"soon", "10", "1.5s", "10d", "s", "5 sec", "-5s", "ms500"})
    void rejectsGarbageAndNegativeShortForms(String text) {
        assertThatThrownBy(() -> Durations.parse(text))
                .isInstanceOf(InvalidInputException.class)
                .hasMessage("Durations.parse: '" + text
                        + "' is not a duration; use a whole number with a unit ms, s, m or h (e.g. 500ms, 10s, 2m)");
    }

    @Test
    void rejectsNegativeAndBrokenIsoForms() {
        assertThatThrownBy(() -> Durations.parse("PT-5S"))
                .isInstanceOf(InvalidInputException.class)
                .hasMessage("Durations.parse: 'PT-5S' is negative");
        assertThatThrownBy(() -> Durations.parse("P1X"))
                .isInstanceOf(InvalidInputException.class)
                .hasMessage("Durations.parse: 'P1X' is not an ISO-8601 duration");
    }

    @Test
    void rejectsEmptyAndNull() {
        assertThatThrownBy(() -> Durations.parse(""))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("no duration given");
        assertThatThrownBy(() -> Durations.parse(null))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("no duration given");
    }

    @Test
    void rejectsOverflowAsInvalidInput() {
        // 10^16 hours do not fit in a Duration's seconds: the caller must get a clear InvalidInputException
        assertThatThrownBy(() -> Durations.parse("9999999999999999h"))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("'9999999999999999h'");
        assertThatThrownBy(() -> Durations.parse("99999999999999999999s"))
                .isInstanceOf(InvalidInputException.class)
                .hasMessage("Durations.parse: '99999999999999999999s' is too large");
    }

    @ParameterizedTest
    @CsvSource({
            "PT0.5S, 500ms",
            "PT1.5S, 1500ms",
            "PT30S, 30s",
            "PT2M, 2m",
            "PT1M30S, 90s",
            "PT1H, 1h",
            "PT25H, 25h",
            "PT0S, 0s"})
    void formatsTheShortestExactFormAndReadsItBack(String iso, String text) {
        Duration d = Duration.parse(iso);
        assertThat(Durations.format(d)).isEqualTo(text);
        assertThat(Durations.parse(text)).isEqualTo(d);
    }
}
