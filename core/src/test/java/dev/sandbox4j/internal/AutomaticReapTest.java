package dev.sandbox4j.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandbox4j.InvalidInputException;
import org.junit.jupiter.api.Test;

class AutomaticReapTest {

    @Test
    void onUnlessSetToFalseThePropertyWinning() {
        assertThat(AutomaticReap.enabled(null, null)).isTrue();
        assertThat(AutomaticReap.enabled("true", null)).isTrue();
        assertThat(AutomaticReap.enabled("FALSE", null)).isFalse();
        assertThat(AutomaticReap.enabled(null, " false ")).isFalse();
        assertThat(AutomaticReap.enabled("true", "false")).as("the property wins over the environment").isTrue();
        assertThat(AutomaticReap.enabled("false", "true")).isFalse();
    }

    @Test
    void aTypoIsRefusedByNameRatherThanGuessed() {
        assertThatThrownBy(() -> AutomaticReap.enabled("no", null)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("sandbox4j.autoReap").hasMessageContaining("'no'").hasMessageContaining("false");
        assertThatThrownBy(() -> AutomaticReap.enabled(null, "0")).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("SANDBOX4J_AUTO_REAP");
    }
}
