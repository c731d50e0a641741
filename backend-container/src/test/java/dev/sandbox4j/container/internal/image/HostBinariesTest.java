package dev.sandbox4j.container.internal.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class HostBinariesTest {
    @Test
    void tellsStaticFromDynamicExecutables() throws Exception {
        assertThat(HostBinaries.isStaticElf(Path.of("/bin/sh").toRealPath())).as("dash is dynamic").isFalse();
        assertThat(HostBinaries.isStaticElf(Path.of("/etc/passwd"))).as("not ELF").isFalse();
        assertThat(HostBinaries.staticInit()).as("tini-static or docker-init is installed (.ci/engines.sh)").isPresent();
        assertThat(HostBinaries.isStaticElf(HostBinaries.staticInit().orElseThrow())).isTrue();
    }
}
