package dev.sandbox4j.vm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandbox4j.Command;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.testkit.BackendRequirement;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Nothing of a microvm sandbox outlives close(), nor the death of its JVM once the reaper ran. */
@Timeout(300)
class MicrovmLifecycleTest {

    @BeforeAll
    static void available() {
        BackendRequirement.assumeAvailable("microvm");
        VmTests.warm("microvm", IsolationPolicy.strict());
    }

    static Path runtimeDir(String sandboxId) throws IOException {
        try (DirectoryStream<Path> s = Files.newDirectoryStream(Path.of(System.getProperty("java.io.tmpdir")),
                "sandbox4j-vm-*--" + sandboxId)) {
            for (Path p : s) {
                return p;
            }
        }
        throw new AssertionError("no runtime directory of sandbox " + sandboxId + " in " + System.getProperty("java.io.tmpdir"));
    }

    static List<Long> pids(Path dir) throws IOException {
        List<Long> out = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "*.pid")) {
            for (Path p : s) {
                // "<pid> <start time>"
                out.add(Long.parseLong(Files.readString(p, StandardCharsets.US_ASCII).strip().split(" ")[0]));
            }
        }
        return out;
    }

    /** Alive and not a zombie (this container's init reaps orphans late). */
    static boolean running(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
        } catch (IOException e) {
            return false;
        }
    }

    static void awaitGone(List<Long> pids) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (pids.stream().anyMatch(MicrovmLifecycleTest::running) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(pids).as("QEMU and virtiofsd processes").noneMatch(MicrovmLifecycleTest::running);
    }

    /** virtiofsd's lock files: in each share's directory of the runtime directory (bound over /var/run/virtiofsd for it). */
    static List<Path> virtiofsdLocks(Path dir) throws IOException {
        List<Path> out = new ArrayList<>();
        if (Files.isDirectory(dir)) {
            try (var s = Files.find(dir, 2, (p, a) -> p.getFileName().toString().endsWith(".pid") && !p.getParent().equals(dir))) {
                s.forEach(out::add);
            }
        }
        return out;
    }

    /** The host's own /var/run/virtiofsd, which no sandbox writes to (each binds its own directory over it). */
    static List<Path> hostLocks() throws IOException {
        Path locks = Path.of("/var/run/virtiofsd");
        if (!Files.isDirectory(locks)) {
            return List.of();
        }
        try (var s = Files.list(locks)) {
            return s.toList();
        }
    }

    @Test
    @DisplayName("close() leaves no QEMU, no virtiofsd, no runtime directory and no virtiofsd lock file")
    void closeLeavesNothing() throws Exception {
        Path dir;
        List<Long> pids;
        List<Path> hostLocksBefore = hostLocks();
        try (Sandbox s = Sandbox.builder().backend("microvm").build()) {
            s.exec(Command.shell("setsid sleep 1000 < /dev/null > /dev/null 2>&1 &"));
            dir = runtimeDir(s.id());
            pids = pids(dir);
            assertThat(pids).as("QEMU plus a virtiofsd for /usr and one for the workspace").hasSize(3);
            assertThat(pids).allMatch(MicrovmLifecycleTest::running);
            assertThat(virtiofsdLocks(dir)).hasSize(2);
            assertThat(hostLocks()).isEqualTo(hostLocksBefore);
        }
        awaitGone(pids);
        assertThat(dir).doesNotExist();
        assertThat(virtiofsdLocks(dir)).isEmpty();
    }

    @Test
    @DisplayName("a JVM that dies without close() takes its VM along; the reaper then removes the rest")
    void jvmDeathThenReap(@TempDir Path tmp) throws Exception {
        Path idFile = tmp.resolve("sandbox-id");
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"),
                CrashingJvm.class.getName(), idFile.toString())
                .redirectErrorStream(true).redirectOutput(tmp.resolve("child.log").toFile()).start();
        assertThat(child.waitFor(240, TimeUnit.SECONDS)).as("the child JVM ends by itself").isTrue();
        assertThat(child.exitValue()).as("child log: %s", Files.readString(tmp.resolve("child.log"))).isEqualTo(137);
        Path dir = runtimeDir(Files.readString(idFile).strip());
        List<Long> pids = pids(dir);
        assertThat(pids).hasSize(3);
        awaitGone(pids);
        List<String> reaped = new MicrovmBackend().reap();
        assertThat(reaped).anyMatch(line -> line.contains(dir.toString()));
        assertThat(dir).doesNotExist();
        assertThat(virtiofsdLocks(dir)).isEmpty();
    }
}
