package dev.sandbox4j.container.internal.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandbox4j.container.internal.plan.BindMount;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The check of a started container's binds, on mountinfo text and on this JVM's own mounts. */
class MountCheckTest {
    private static final String MOUNTINFO = String.join("\n",
            "100 83 254:0 / / rw,relatime - overlay overlay rw",
            "101 100 254:0 /usr /usr ro,nosuid,nodev,relatime - ext4 /dev/vda rw",
            "102 100 254:0 /ws /workspace rw,nosuid,nodev,relatime - ext4 /dev/vda rw",
            "103 100 254:0 /data /my\\040data rw,relatime - ext4 /dev/vda rw",
            "104 100 254:0 /usr /usr ro,relatime - ext4 /dev/vda rw");

    @Test
    void theLastMountAtAPointCountsAndEscapesAreRead() {
        var options = MountCheck.options(MOUNTINFO);
        assertThat(options.get("/usr")).as("the later mount covers the first").containsExactlyInAnyOrder("ro", "relatime");
        assertThat(options.get("/workspace")).contains("nosuid", "nodev", "rw");
        assertThat(options).containsKey("/my data");
    }

    @Test
    void aBindWithoutItsFlagsIsAProblemNamingWhatIsMissing() {
        // this JVM's own root is mounted without nosuid: as a "bind" at / it must be reported
        List<String> problems = MountCheck.problems(ProcessHandle.current().pid(), List.of(new BindMount("/x", "/", true)));
        assertThat(problems).singleElement().asString().startsWith("/ is mounted ").contains("without").contains("nosuid");
        assertThat(MountCheck.problems(ProcessHandle.current().pid(), List.of(new BindMount("/x", "/no/such/mount", false))))
                .containsExactly("/no/such/mount is not mounted");
        assertThat(MountCheck.problems(-1, List.of())).singleElement().asString().contains("cannot be read");
    }
}
