package dev.sandbox4j.langchain4j.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandbox4j.langchain4j.internal.ResultText.Section;
import java.util.List;
import org.junit.jupiter.api.Test;

class ResultTextTest {

    @Test
    void shortTextIsKeptWhole() {
        assertThat(ResultText.cut("abc", 3)).isEqualTo("abc");
    }

    @Test
    void longTextKeepsItsStartAndEndWithinTheBudget() {
        String text = "a".repeat(1000) + "b".repeat(1000);
        String cut = ResultText.cut(text, 300);
        assertThat(cut).hasSizeLessThanOrEqualTo(300).startsWith("aaaa").endsWith("bbbb");
        int dropped = text.length() - (cut.length() - cut.substring(cut.indexOf('\n'), cut.lastIndexOf('\n') + 1).length());
        assertThat(cut).contains("[... " + dropped + " characters cut here ...]");
    }

    @Test
    void aSurrogatePairIsNeverSplit() {
        String text = "\uD83D\uDE00".repeat(500);
        for (int budget = 40; budget < 80; budget++) {
            String cut = ResultText.cut(text, budget);
            assertThat(cut.codePoints().filter(cp -> cp >= 0xD800 && cp <= 0xDFFF).count()).as("budget " + budget).isZero();
        }
    }

    @Test
    void sharesGiveWhatAShortTextLeavesToTheLongOne() {
        assertThat(ResultText.shares(new int[] {10, 1000}, 500)).containsExactly(10, 490);
        assertThat(ResultText.shares(new int[] {1000, 1000}, 500)).containsExactly(250, 250);
        assertThat(ResultText.shares(new int[] {5, 6}, 500)).containsExactly(5, 6);
    }

    @Test
    void renderKeepsTheHeadAndTheSectionOrderWithinTheBudget() {
        String r = ResultText.render(List.of("exit code: 1", "note: x"),
                List.of(new Section("stdout", "", true), new Section("stderr", "e".repeat(5000), false)), 600);
        assertThat(r).startsWith("exit code: 1\nnote: x\nstdout: (empty)\nstderr:\neee").hasSizeLessThanOrEqualTo(600 + 20);
    }
}
