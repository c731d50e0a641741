package dev.sandbox4j.vm.internal.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandbox4j.Command;
import dev.sandbox4j.ExecException;
import dev.sandbox4j.ExecResult;
import dev.sandbox4j.Execution;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.SandboxImage;
import dev.sandbox4j.SandboxStartException;
import dev.sandbox4j.spi.EventSink;
import dev.sandbox4j.spi.ProcessRequest;
import dev.sandbox4j.spi.SandboxProcess;
import dev.sandbox4j.spi.SandboxSpec;
import dev.sandbox4j.spi.TrialSpec;
import dev.sandbox4j.testkit.BackendRequirement;
import dev.sandbox4j.vm.internal.image.VmCache;
import java.io.RandomAccessFile;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every way a VM start or a guest can go wrong ends in a clear error within a bound, and leaves nothing
 * behind: a guest that never signals ready, a missing or unbootable kernel, a hung guest, a damaged or
 * unloadable snapshot, and garbage sent to the agent inside a real VM.
 */
@Timeout(600)
class MicrovmFailureTest {

    @BeforeAll
    static void available() {
        BackendRequirement.assumeAvailable("microvm");
    }

    static Path tinyUnikernel() throws Exception {
        URL u = MicrovmFailureTest.class.getResource("/unikernel/tiny-unikernel.elf");
        assertThat(u).as("the build compiles src/test/c/tiny-unikernel.S").isNotNull();
        return Path.of(u.toURI());
    }

    /** The trial host sides of this test's specs, released after it. */
    static final List<TrialSpec> TRIALS = new CopyOnWriteArrayList<>();

    @AfterEach
    void release() {
        TRIALS.forEach(TrialSpec::close);
        TRIALS.clear();
    }

    /** A strict spec whose host side the core prepared as for a real sandbox (its own host uid, a workspace). */
    static SandboxSpec spec(List<String> progress) {
        EventSink sink = new EventSink() {
            @Override
            public void violation(String rule, String detail) {
            }

            @Override
            public void progress(String step, String detail) {
                progress.add(step + ": " + detail);
            }
        };
        TrialSpec t = TrialSpec.prepare(IsolationPolicy.strict());
        TRIALS.add(t);
        SandboxSpec s = t.spec();
        return new SandboxSpec(s.sandboxId(), s.sessionLabel(), s.policy(), s.image(), s.workspace(), Map.of(), sink, s.host());
    }

    static String run(VmSession s, String script) throws Exception {
        SandboxProcess p = s.spawn(new ProcessRequest(List.of("/bin/sh", "-c", script), Map.of("PATH", "/usr/bin:/bin"), "/workspace"));
        p.stdin().close();
        byte[] out = p.stdout().readAllBytes();
        p.stderr().readAllBytes();
        p.onExit().get(60, TimeUnit.SECONDS);
        return new String(out, StandardCharsets.UTF_8);
    }

    @Test
    @DisplayName("a kernel that never starts the agent: a clear error naming the bound and showing its console, for microvm and qemu")
    void neverReady(@TempDir Path initrd) throws Exception {
        Path empty = Files.createFile(initrd.resolve("empty.cpio"));
        for (String backend : List.of("microvm", "qemu")) {
            assertThatThrownBy(() -> Sandbox.builder().backend(backend).image(SandboxImage.vm(tinyUnikernel(), empty))
                    .option("vm.boot-timeout", "3s").option("vm.accel", "tcg").build())
                    .isInstanceOf(SandboxStartException.class)
                    .hasMessageContaining("did not signal ready within PT3S")
                    .hasMessageContaining("unikernel: console=ttyS0");
        }
    }

    @Test
    @DisplayName("a missing kernel and a file that is no bootable kernel are refused before QEMU starts")
    void badKernels(@TempDir Path tmp) throws Exception {
        Path empty = Files.createFile(tmp.resolve("empty.cpio"));
        assertThatThrownBy(() -> Sandbox.builder().backend("microvm").image(SandboxImage.vm(tmp.resolve("no-such-vmlinuz"), empty)).build())
                .isInstanceOf(SandboxStartException.class).hasMessageContaining("does not exist");
        assertThatThrownBy(() -> Sandbox.builder().backend("microvm").image(SandboxImage.vm(Path.of("/bin/busybox"), empty)).build())
                .isInstanceOf(SandboxStartException.class).hasMessageContaining("no PVH entry");
        assertThatThrownBy(() -> Sandbox.builder().backend("microvm").image(SandboxImage.vm(empty, empty)).build())
                .isInstanceOf(SandboxStartException.class).hasMessageContaining("neither an ELF vmlinux nor a bzImage");
    }

    @Test
    @DisplayName("a hung guest (QEMU stopped): a killed command ends as killed within the kill grace, the VM is stopped, and"
            + " the sandbox says why")
    void hungGuest() throws Exception {
        try (Sandbox s = Sandbox.builder().backend("microvm").build()) {
            Execution e = s.start(Command.of("sleep", "1000"));
            long qemu = Long.parseLong(Files.readString(runtimeDir(s.id()).resolve("qemu.pid")).strip().split(" ")[0]);
            Process stop = new ProcessBuilder("kill", "-STOP", Long.toString(qemu)).start();
            assertThat(stop.waitFor()).isZero();
            long t0 = System.nanoTime();
            e.kill();
            ExecResult r = e.onExit().get(60, TimeUnit.SECONDS);
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertThat(r.exitCode()).as("%s", r).isEqualTo(137);
            assertThat(r.signal()).hasValue(9);
            // the grace is 1.5 s; the rest is slack for a loaded host (the bound itself is a benchmark's)
            assertThat(ms).as("the kill came back after %d ms", ms).isLessThan(dev.sandbox4j.vm.internal.agent.AgentConnection.KILL_GRACE.toMillis() + 8_000);
            assertThatThrownBy(() -> s.exec(Command.of("true"))).isInstanceOf(ExecException.class)
                    .hasMessageContaining("did not confirm the kill").hasMessageContaining("open a new one");
            ProcessHandle.of(qemu).ifPresent(h -> h.onExit().orTimeout(10, TimeUnit.SECONDS).join());
        }
    }

    static Path onlySnapshot(Path snapshots) throws Exception {
        try (var d = Files.newDirectoryStream(snapshots, Files::isDirectory)) {
            return d.iterator().next().resolve("state");
        }
    }

    static Path runtimeDir(String id) throws Exception {
        try (var d = Files.newDirectoryStream(Path.of(System.getProperty("java.io.tmpdir")), "sandbox4j-vm-*--" + id)) {
            return d.iterator().next();
        }
    }

    @Test
    @DisplayName("garbage written to the agent inside a real VM is rejected and the guest's PID 1 keeps serving")
    void malformedFramesInsideVm() throws Exception {
        VmSession s = (VmSession) new MicrovmLauncher(VmCache.user()).open(spec(new CopyOnWriteArrayList<>()));
        try {
            s.vm().agent().sendRaw("garbage that is no frame\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0".getBytes(StandardCharsets.UTF_8));
            s.vm().agent().sendRaw(new byte[] {0x53, 0x34, 0x02, 0, 0, 0, 0x7f, 1, 0, 0, 0, 3, 1, 2, 3});
            assertThat(run(s, "echo still; cat /proc/1/cmdline")).startsWith("still\n/sandbox4j/agent");
            assertThat(s.vm().agent().brokenReason()).isEmpty();
        } finally {
            s.close();
        }
    }

    @Test
    @DisplayName("a snapshot QEMU cannot load is a clear error and is evicted; a truncated one is rebuilt; both open afterwards")
    void damagedSnapshots(@TempDir Path cacheDir) throws Exception {
        VmCache cache = new VmCache(cacheDir);
        MicrovmLauncher launcher = new MicrovmLauncher(cache);
        List<String> progress = new CopyOnWriteArrayList<>();
        launcher.open(spec(progress)).close();
        Path snapshots = cacheDir.resolve("snapshots");
        Path state;
        state = onlySnapshot(snapshots);
        try (RandomAccessFile f = new RandomAccessFile(state.toFile(), "rw")) {
            f.seek(4);
            f.writeInt(0x7fff0000); // the stream version QEMU checks first
        }
        assertThatThrownBy(() -> launcher.open(spec(progress)))
                .isInstanceOf(SandboxStartException.class)
                .hasMessageContaining("restoring the snapshot").hasMessageContaining("removed");
        assertThat(state).doesNotExist();

        launcher.open(spec(progress)).close();
        state = onlySnapshot(snapshots);
        try (RandomAccessFile f = new RandomAccessFile(state.toFile(), "rw")) {
            f.setLength(f.length() / 2);
        }
        progress.clear();
        VmSession s = (VmSession) launcher.open(spec(progress));
        try {
            assertThat(run(s, "echo restored")).isEqualTo("restored\n");
        } finally {
            s.close();
        }
        assertThat(progress).anyMatch(p -> p.contains("is damaged") && p.contains("rebuilding"));
    }
}
