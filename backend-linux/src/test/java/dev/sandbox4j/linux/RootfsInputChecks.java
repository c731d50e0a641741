package dev.sandbox4j.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandbox4j.BackendUnavailableException;
import dev.sandbox4j.InvalidInputException;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.SandboxBuilder;
import dev.sandbox4j.SandboxImage;
import dev.sandbox4j.SandboxStartException;
import dev.sandbox4j.spi.SessionLabels;
import dev.sandbox4j.testkit.BackendRequirement;
import dev.sandbox4j.testkit.HostProbes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Bad input for a root-file-system backend, each refused with a clear error before anything runs: no
 * event, no private directory, no cgroup, no process left. Subclasses name the backend.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class RootfsInputChecks {
    final RootfsTestSupport support = new RootfsTestSupport(backend());

    abstract String backend();

    abstract IsolationPolicy policy();

    @BeforeAll
    void gate() {
        BackendRequirement.assumeAvailable(backend());
    }

    /** Asserts the build fails as {@code type} with every one of {@code fragments}, and leaves nothing behind. */
    <T extends Throwable> void refused(UnaryOperator<SandboxBuilder> builder, Class<T> type, String... fragments) {
        List<String> before = leftovers();
        int events = support.events.size();
        ThrowableAssert.ThrowingCallable build = () -> support.open(policy(), builder).close();
        var thrown = assertThatThrownBy(build).isInstanceOf(type);
        for (String f : fragments) {
            thrown.hasMessageContaining(f);
        }
        assertThat(support.events.size()).as("events of a refused build").isEqualTo(events);
        assertThat(leftovers()).as("host directories of this JVM's sandboxes after the refusal").isEqualTo(before);
    }

    /** This session's temp dirs and cgroups, by name. */
    static List<String> leftovers() {
        String session = SessionLabels.current();
        return RootfsTestSupport.hostDirsNamed(session).stream().map(Path::toString).sorted().toList();
    }

    @Test
    void rootfsThatDoesNotExist() {
        Path missing = Path.of("/var/tmp/sandbox4j-no-such-rootfs-" + System.nanoTime());
        refused(b -> b.image(SandboxImage.directory(missing)), InvalidInputException.class, missing.toString(),
                "does not exist");
    }

    @Test
    void readWritePathThatIsAFileWhereADirectoryIs() throws IOException {
        Path file = Files.createTempFile("sandbox4j-rw-file-", ".txt");
        try {
            refused(b -> b.policy(policy().toBuilder().filesystem(f -> f.readWrite(file, "/usr")).build()),
                    InvalidInputException.class, "/usr", "is a file", "directory");
        } finally {
            Files.deleteIfExists(file);
        }
    }

    @Test
    void mountInsideTheWritableWorkspace() throws IOException {
        Path dir = Files.createTempDirectory("sandbox4j-ro-dir-");
        try {
            refused(b -> b.policy(policy().toBuilder().filesystem(f -> f.readOnly(dir, "/workspace/data")).build()),
                    InvalidInputException.class, "/workspace/data", "inside the read-write mount /workspace");
        } finally {
            HostProbes.deleteTree(dir);
        }
    }

    @Test
    void openFilesAboveTheHardLimit() throws IOException {
        long hard = hardLimit("Max open files");
        refused(b -> b.policy(policy().toBuilder().limits(l -> l.openFiles((int) Math.min(Integer.MAX_VALUE, hard + 1))).build()),
                SandboxStartException.class, "limits.openFiles=" + (hard + 1), "hard limit", "CAP_SYS_RESOURCE");
    }

    @Test
    void missingEngine() {
        refused(b -> b.option(backend() + ".path", "/nonexistent-sandbox4j-bin"), BackendUnavailableException.class,
                "not found on PATH=/nonexistent-sandbox4j-bin", "fix: apt-get install");
    }

    @Test
    void theHostsWholeFileSystemIsRefused() {
        refused(b -> b.policy(policy().toBuilder().filesystem(dev.sandbox4j.FilesystemPolicy.host()).build()),
                dev.sandbox4j.UnsupportedPolicyException.class, "filesystem=host", "isolatedView()");
    }

    @Test
    void unknownOption() {
        refused(b -> b.option(backend() + ".colour", "blue"), InvalidInputException.class, backend() + ".colour");
    }

    @Test
    void imageWithoutAShell() throws IOException {
        Path rootfs = Files.createTempDirectory("sandbox4j-no-shell-");
        try {
            Files.createDirectories(rootfs.resolve("etc"));
            refused(b -> b.image(SandboxImage.directory(rootfs)), SandboxStartException.class, rootfs.toString(),
                    "no executable /bin/sh");
        } finally {
            HostProbes.deleteTree(rootfs);
        }
    }

    static long hardLimit(String row) throws IOException {
        try (Stream<String> lines = Files.lines(Path.of("/proc/self/limits"))) {
            String line = lines.filter(l -> l.startsWith(row)).findFirst().orElseThrow();
            return Long.parseLong(line.substring(row.length()).trim().split("\\s+")[1]);
        }
    }
}
