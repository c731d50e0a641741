package dev.sandbox4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandbox4j.BackendInfo;
import dev.sandbox4j.spi.Availability;
import dev.sandbox4j.spi.Capability;
import dev.sandbox4j.spi.IsolationLevel;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** doctor's text fits in 100 columns whatever the reasons, and loses no word of them. */
class DoctorTableTest {
    private static final String LONG_PATH = "/home/someone/.cache/sandbox4j/" + "x".repeat(120) + "/s4j-launch";
    private static final String LONG_REASON = "no Podman API socket is running that this JVM may open, and a podman system"
            + " service of its own would run rootless (this JVM runs as uid 1001): rootless Podman maps a container's"
            + " users onto this user's subordinate ids; launcher at " + LONG_PATH + "; the end";

    private static BackendInfo info(String name, IsolationLevel level, Availability a) {
        return new BackendInfo(name, level, a, Set.of(Capability.IMAGE_HOST));
    }

    @Test
    void everyLineFitsAndTheColumnsLineUp() {
        List<BackendInfo> backends = List.of(
                info("microvm", IsolationLevel.VIRTUAL_MACHINE, Availability.emulated("QEMU 7.2, accelerator tcg (KVM failed"
                        + " its boot self-test: QEMU: qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69)")),
                info("podman", IsolationLevel.CONTAINER, Availability.unavailable(LONG_REASON, "run the JVM as root, or give"
                        + " it a rootful engine's API socket it may open (Docker: membership in the 'docker' group)")),
                info("none", IsolationLevel.NONE, Availability.available("plain host processes, no isolation")));
        List<String> lines = DoctorTable.lines(backends);
        assertThat(lines).allSatisfy(l -> assertThat(l.length()).as(l).isLessThanOrEqualTo(DoctorTable.WIDTH));
        assertThat(lines.get(0)).matches("BACKEND +ISOLATION +AVAILABLE +REASON AND FIX");
        int textColumn = lines.get(0).indexOf("REASON AND FIX");
        assertThat(lines).filteredOn(l -> l.startsWith("microvm")).singleElement().satisfies(l ->
                assertThat(l).matches("microvm +VIRTUAL_MACHINE +emulated +QEMU 7\\.2, accelerator tcg .*"));
        assertThat(lines).anySatisfy(l -> assertThat(l).matches("podman +CONTAINER +no +no Podman API socket .*"));
        assertThat(lines).anySatisfy(l -> assertThat(l).matches("none +NONE +yes +plain host processes, no isolation"));
        // every continuation line starts at the text column
        assertThat(lines.subList(1, lines.size())).filteredOn(l -> l.startsWith(" "))
                .allSatisfy(l -> assertThat(l.length() - l.stripLeading().length()).isEqualTo(textColumn));

        String text = textOf(lines, textColumn);
        assertThat(text).contains(LONG_REASON.replace(" ", ""))
                .contains(("fix: run the JVM as root, or give it a rootful engine's API socket it may open (Docker:"
                        + " membership in the 'docker' group)").replace(" ", ""))
                .contains(("passed over by auto: runs under software emulation, several times slower; name it with"
                        + " --backend microvm (Java: .backend(\"microvm\")), or let auto choose it with the builder option"
                        + " auto.allowEmulated=true").replace(" ", ""));
    }

    @Test
    void aVeryLongNameGetsALineOfItsOwnAndTheTextStillFits() {
        String name = "a-backend-with-a-name-far-too-long-for-any-table-" + "z".repeat(40);
        List<String> lines = DoctorTable.lines(List.of(info(name, IsolationLevel.NAMESPACE,
                Availability.available("fine " + LONG_PATH))));
        assertThat(lines).allSatisfy(l -> assertThat(l.length()).as(l).isLessThanOrEqualTo(DoctorTable.WIDTH));
        assertThat(String.join("", lines).replace(" ", "")).contains(name).contains(LONG_PATH);
    }

    @Test
    void autosExplanationWrapsWithAHangingIndent() {
        String line = "  podman (CONTAINER): unavailable: " + LONG_REASON;
        List<String> wrapped = DoctorTable.wrapIndented(line);
        assertThat(wrapped).hasSizeGreaterThan(2)
                .allSatisfy(l -> assertThat(l.length()).isLessThanOrEqualTo(DoctorTable.WIDTH));
        assertThat(wrapped.get(0)).startsWith("  podman (CONTAINER): unavailable: no Podman");
        assertThat(wrapped.subList(1, wrapped.size())).allSatisfy(l -> assertThat(l).startsWith("      ").doesNotStartWith("       "));
        assertThat(String.join("", wrapped).replace(" ", "")).isEqualTo(line.replace(" ", ""));
        assertThat(DoctorTable.wrapIndented("short")).containsExactly("short");
    }

    /** The text column's content of every line, without spaces (wrapping only moves and cuts at spaces or in words). */
    private static String textOf(List<String> lines, int column) {
        StringBuilder b = new StringBuilder();
        for (String l : lines.subList(1, lines.size())) {
            b.append(l.length() > column ? l.substring(column) : "");
        }
        return b.toString().replace(" ", "");
    }
}
