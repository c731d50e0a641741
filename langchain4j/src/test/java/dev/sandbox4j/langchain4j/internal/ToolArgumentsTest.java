package dev.sandbox4j.langchain4j.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ToolArgumentsTest {
    private static final List<String> WRITE = List.of("path", "content");

    @Test
    void stringsAreTakenAndExtraKeysIgnored() throws Exception {
        assertThat(ToolArguments.parse("write_file", WRITE, "{\"path\":\"a\",\"content\":\"b\\n\",\"mode\":1}"))
                .containsExactly(java.util.Map.entry("path", "a"), java.util.Map.entry("content", "b\n"));
    }

    @Test
    void everyWrongShapeNamesTheToolAndTheShapeItTakes() {
        String shape = "write_file: the arguments must be a JSON object {\"path\": \"...\", \"content\": \"...\"}; ";
        assertThatThrownBy(() -> ToolArguments.parse("write_file", WRITE, "[1]"))
                .hasMessage(shape + "what was sent is an array: [1]");
        assertThatThrownBy(() -> ToolArguments.parse("write_file", WRITE, "\"x\""))
                .hasMessage(shape + "what was sent is a string: \"x\"");
        assertThatThrownBy(() -> ToolArguments.parse("write_file", WRITE, ""))
                .hasMessage(shape + "\"path\" is missing");
        assertThatThrownBy(() -> ToolArguments.parse("write_file", WRITE, "{\"path\":\"a\",\"content\":null}"))
                .hasMessage(shape + "\"content\" is missing (sent: {\"path\":\"a\",\"content\":null})");
        assertThatThrownBy(() -> ToolArguments.parse("write_file", WRITE, "{\"path\":\"a\",\"content\":{\"x\":1}}"))
                .hasMessage(shape + "\"content\" is an object, not a string");
        assertThatThrownBy(() -> ToolArguments.parse("write_file", WRITE, "{\"path\":true}"))
                .hasMessage(shape + "\"path\" is a boolean, not a string");
    }

    @Test
    void longMalformedArgumentsAreShownShortened() {
        String junk = "{" + "x".repeat(500);
        assertThatThrownBy(() -> ToolArguments.parse("read_file", List.of("path"), junk))
                .hasMessageEndingWith("not valid JSON: {" + "x".repeat(199) + "... (501 characters)")
                .hasMessageNotContaining("Unexpected character");
    }
}
