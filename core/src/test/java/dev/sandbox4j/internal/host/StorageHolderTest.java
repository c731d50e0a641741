package dev.sandbox4j.internal.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandbox4j.DataSize;
import dev.sandbox4j.UnsupportedPolicyException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * An unprivileged JVM's disk storage: a tmpfs in a user and mount namespace of a process of the library's,
 * reached through its /proc/PID/root, invisible on the host, bounded, and gone with the holder.
 */
@EnabledOnOs(OS.LINUX)
class StorageHolderTest {

    @Test
    void aSizedTmpfsReachedThroughTheHolderAndNothingOnTheHost() throws Exception {
        StorageHolder h = StorageHolder.start("sh1", DataSize.ofMiB(2), 1);
        Path dir = h.dir();
        try {
            Path ws = h.root().resolve("workspace");
            Files.writeString(ws.resolve("f"), "inside");
            assertThat(Files.list(dir)).as("the host's directory stays empty").isEmpty();
            assertThat(Files.getAttribute(h.root().resolve("tmp0"), "unix:mode")).isEqualTo(041777);
            assertThatThrownBy(() -> Files.write(ws.resolve("big"), new byte[3 << 20]))
                    .hasMessageContaining("No space left on device");
            try (PinnedPathImpl p = Pins.pinInHolder(h, dir.resolve("workspace"), "workspace")) {
                assertThat(p.path()).isEqualTo(dir.resolve("workspace"));
                assertThat(Files.readString(Path.of(p.procPath()).resolve("f"))).isEqualTo("inside");
                assertThat(p.stillPinned()).as("a path of another mount namespace").isFalse();
                assertThatThrownBy(() -> p.engineSource(false)).isInstanceOf(UnsupportedPolicyException.class)
                        .hasMessageContaining("no engine reaches");
            }
        } finally {
            h.close();
        }
        assertThat(Files.exists(dir)).isFalse();
    }
}
