package dev.sandbox4j.internal.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandbox4j.DataSize;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.SandboxImage;
import dev.sandbox4j.internal.files.TempWorkspace;
import java.nio.file.Files;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * The disk storage tells when it is full, whichever JVM made it: a root one's tmpfs under the run
 * directory, or an unprivileged one's in the storage holder's mount namespace, which the JVM's own mount
 * table does not show.
 */
@EnabledOnOs(OS.LINUX)
class StorageFullTest {

    @Test
    void aFullStorageIsReportedWithItsLimit() throws Exception {
        IsolationPolicy p = IsolationPolicy.strict().toBuilder().limits(l -> l.disk(DataSize.ofMiB(2))).build();
        SandboxHosts.Prepared prepared = SandboxHosts.prepare("full1", p, SandboxImage.host(), Optional.empty(), true);
        try {
            System.out.println("[StorageFullTest] JVM uid " + JvmIds.uid() + ", holder "
                    + prepared.host().storage().orElseThrow().holderPid() + ", workspace " + prepared.workspace());
            assertThat(prepared.storageFull()).isEmpty();
            assertThatThrownBy(() -> Files.write(prepared.workspace().resolve("big"), new byte[3 << 20]))
                    .hasMessageContaining("No space left on device");
            assertThat(prepared.storageFull()).contains(DataSize.ofMiB(2));
        } finally {
            TempWorkspace.delete(prepared.workspace());
            prepared.close();
        }
        assertThat(prepared.storageFull()).as("after close").isEmpty();
    }
}
