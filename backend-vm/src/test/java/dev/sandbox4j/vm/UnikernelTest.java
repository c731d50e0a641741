package dev.sandbox4j.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandbox4j.Command;
import dev.sandbox4j.DataSize;
import dev.sandbox4j.ExecResult;
import dev.sandbox4j.FilesystemPolicy;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.ProcessPolicy;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.SandboxImage;
import dev.sandbox4j.SandboxStartException;
import dev.sandbox4j.SyscallPolicy;
import dev.sandbox4j.UnsupportedPolicyException;
import dev.sandbox4j.testkit.BackendRequirement;
import dev.sandbox4j.vm.internal.unikernel.UnikernelPlan;
import java.net.URL;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The unikernel backend on a real boot of this module's own freestanding image
 * (src/test/c/tiny-unikernel.S): it prints its command line to the serial console and leaves through
 * isa-debug-exit with the code its command line names, or halts forever when told "hang".
 */
@Timeout(300)
class UnikernelTest {
    static Path image;
    static Path noInitrd;

    /** What a unikernel can be held to: its own view of nothing, no network, its RAM and vCPUs. */
    static IsolationPolicy policy() {
        return IsolationPolicy.strict().toBuilder().filesystem(new FilesystemPolicy(true, List.of(), List.of(), List.of()))
                .limits(l -> l.memory(DataSize.ofMiB(32)).noPidsLimit().noFileSizeLimit().noOpenFilesLimit())
                .syscalls(SyscallPolicy.allowAll())
                .process(new ProcessPolicy(true, OptionalInt.empty(), false, false, Set.of())).build();
    }

    @BeforeAll
    static void setUp(@TempDir Path tmp) throws Exception {
        BackendRequirement.assumeAvailable("unikernel");
        URL u = UnikernelTest.class.getResource("/unikernel/tiny-unikernel.elf");
        assertThat(u).as("the build compiles src/test/c/tiny-unikernel.S").isNotNull();
        image = Path.of(u.toURI());
        noInitrd = Files.createFile(tmp.resolve("no-initrd"));
    }

    static Sandbox open() {
        return Sandbox.builder().backend("unikernel").policy(policy()).image(SandboxImage.vm(image, noInitrd)).build();
    }

    @Test
    @DisplayName("the serial console is stdout and the isa-debug-exit value is the exit code")
    void exitCodeAndConsole() {
        try (Sandbox s = open()) {
            ExecResult r = s.exec(Command.of("exit=42", "hello"));
            assertThat(r.exitCode()).as("%s %s", r, r.stderr()).isEqualTo(42);
            assertThat(r.stdout()).isEqualTo("unikernel: exit=42 hello\n");
            ExecResult zero = s.exec(Command.of("exit=0"));
            assertThat(zero.exitCode()).isZero();
            assertThat(s.exec(Command.of("exit=7")).exitCode()).isEqualTo(7);
        }
    }

    @Test
    @DisplayName("a unikernel that never exits is killed by the timeout; close() leaves no QEMU and no runtime directory")
    void hangTimesOutAndCloseCleans() throws Exception {
        Path dir;
        try (Sandbox s = open()) {
            ExecResult r = s.exec(Command.of("hang").timeout(Duration.ofSeconds(3)));
            assertThat(r.timedOut()).isTrue();
            assertThat(r.exitCode()).isEqualTo(137);
            assertThat(r.stdout()).isEqualTo("unikernel: hang\n");
            s.start(Command.of("hang"));
            dir = runtimeDir(s.id());
            assertThat(dir).exists();
        }
        assertThat(dir).doesNotExist();
    }

    @Test
    @DisplayName("QEMU's status maps to the unikernel's code: (v << 1) | 1 is v, a power-off 0, a signal 128 + n")
    void statusMapping() {
        assertThat(UnikernelPlan.exitCode(85)).isEqualTo(42);
        assertThat(UnikernelPlan.exitCode(1)).isZero();
        assertThat(UnikernelPlan.exitCode(0)).isZero();
        assertThat(UnikernelPlan.exitCode(137)).isEqualTo(137);
    }

    @Test
    @DisplayName("an image without a PVH entry and host mounts are refused before anything boots")
    void refusals(@TempDir Path tmp) {
        assertThatThrownBy(() -> Sandbox.builder().backend("unikernel").policy(policy())
                .image(SandboxImage.vm(Path.of("/bin/busybox"), noInitrd)).build())
                .isInstanceOf(SandboxStartException.class).hasMessageContaining("PVH entry");
        IsolationPolicy withMount = policy().toBuilder().filesystem(f -> f.readOnly(tmp, "/mnt/x")).build();
        assertThatThrownBy(() -> Sandbox.builder().backend("unikernel").policy(withMount)
                .image(SandboxImage.vm(image, noInitrd)).build())
                .isInstanceOf(UnsupportedPolicyException.class).hasMessageContaining("cannot share host directories");
        assertThatThrownBy(() -> Sandbox.builder().backend("unikernel").policy(IsolationPolicy.strict())
                .image(SandboxImage.vm(image, noInitrd)).build())
                .as("strict needs tmpfs, uid and more, which a unikernel does not have")
                .isInstanceOf(UnsupportedPolicyException.class);
    }

    static Path runtimeDir(String id) throws Exception {
        try (DirectoryStream<Path> d = Files.newDirectoryStream(Path.of(System.getProperty("java.io.tmpdir")), "sandbox4j-vm-*--" + id)) {
            return d.iterator().next();
        }
    }
}
