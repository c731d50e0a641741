package dev.sandbox4j.vm.internal.agent;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandbox4j.DataSize;
import dev.sandbox4j.ExecException;
import dev.sandbox4j.FileAccessException;
import dev.sandbox4j.FileEntry;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.SyscallPolicy;
import dev.sandbox4j.spi.ProcessExit;
import dev.sandbox4j.vm.internal.protocol.AgentError;
import dev.sandbox4j.vm.internal.protocol.ExecRequest;
import dev.sandbox4j.vm.internal.protocol.Frame;
import dev.sandbox4j.vm.internal.protocol.FrameCodec;
import dev.sandbox4j.vm.internal.protocol.FrameType;
import dev.sandbox4j.vm.internal.protocol.PayloadWriter;
import dev.sandbox4j.vm.internal.session.GuestFilter;
import dev.sandbox4j.vm.internal.protocol.ExitReport;
import dev.sandbox4j.vm.internal.protocol.InitRequest;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The guest agent, run on the host in test mode, driven through the host's real protocol code: both
 * sides of PROTOCOL.md against each other, without a VM.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AgentOnHostTest {
    static final Duration T = Duration.ofSeconds(20);
    static final List<String> ENV = List.of("PATH=/usr/bin:/bin", "ONLY=this");
    HostAgent agent;

    @BeforeAll
    void start() {
        agent = HostAgent.start();
    }

    @AfterAll
    void stop() {
        agent.close();
    }

    record Result(int status, String out, String err, ExitReport report) {
    }

    Result run(ExecRequest req, byte[] stdin) throws Exception {
        AgentExec x = agent.connection.exec(req, T, r -> { });
        CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> HostAgent.readAll(x.stdout()));
        CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> HostAgent.readAll(x.stderr()));
        try (OutputStream in = x.stdin()) {
            if (stdin != null) {
                in.write(stdin);
            }
        }
        ProcessExit e = x.onExit().get(30, TimeUnit.SECONDS);
        return new Result(e.exitCode(), new String(out.get(30, TimeUnit.SECONDS), UTF_8),
                new String(err.get(30, TimeUnit.SECONDS), UTF_8), x.report().get());
    }

    Result sh(String script) throws Exception {
        return run(ExecRequest.plain(List.of("sh", "-c", script), ENV, "/", HostAgent.FILTER), null);
    }

    @Test
    @DisplayName("INIT flag 2 starts later commands without address randomisation; without it they keep it")
    void fixedAddresses() throws Exception {
        try (HostAgent a = HostAgent.start()) {
            ExecRequest personality = ExecRequest.plain(List.of("cat", "/proc/self/personality"), ENV, "/", HostAgent.FILTER);
            assertThat(output(a, personality)).isEqualTo("00000000\n");
            a.connection.init(new InitRequest(Instant.now(), new byte[32], false, true, OptionalLong.empty(), OptionalLong.empty(),
                    OptionalLong.empty(), List.of(), List.of(), List.of()), T);
            assertThat(output(a, personality)).isEqualTo("00040000\n");
            a.connection.init(new InitRequest(Instant.now(), new byte[32], false, false, OptionalLong.empty(), OptionalLong.empty(),
                    OptionalLong.empty(), List.of(), List.of(), List.of()), T);
            assertThat(output(a, personality)).isEqualTo("00000000\n");
        }
    }

    private static String output(HostAgent a, ExecRequest req) throws Exception {
        AgentExec x = a.connection.exec(req, T, r -> { });
        x.stdin().close();
        CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> HostAgent.readAll(x.stderr()));
        String out = new String(HostAgent.readAll(x.stdout()), UTF_8);
        assertThat(x.onExit().get(30, TimeUnit.SECONDS).exitCode()).as("stderr: %s", new String(err.get(), UTF_8)).isZero();
        return out;
    }

    @Test
    @DisplayName("PING echoes its bytes")
    void ping() throws Exception {
        assertThat(agent.connection.ping("hello".getBytes(UTF_8), T)).asString(UTF_8).isEqualTo("hello");
    }

    @Test
    @DisplayName("EXEC: stdout and stderr arrive apart, the exit status and the exact environment too")
    void execStreamsAndStatus() throws Exception {
        Result r = sh("echo out; echo err >&2; exit 3");
        assertThat(r.status()).isEqualTo(3);
        assertThat(r.out()).isEqualTo("out\n");
        assertThat(r.err()).isEqualTo("err\n");
        assertThat(r.report().signaled()).isFalse();
        assertThat(run(ExecRequest.plain(List.of("env"), ENV, "/", HostAgent.FILTER), null).out()).isEqualTo("PATH=/usr/bin:/bin\nONLY=this\n");
    }

    @Test
    @DisplayName("STDIN frames reach the process and an empty one closes its stdin")
    void stdin() throws Exception {
        byte[] data = new byte[3 << 20];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 31);
        }
        Result r = run(ExecRequest.plain(List.of("sh", "-c", "sha256sum | cut -d' ' -f1"), ENV, "/", HostAgent.FILTER), data);
        assertThat(r.out().strip()).isEqualTo(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data)));
    }

    @Test
    @DisplayName("10 MiB of stdout arrive intact in order")
    void bigOutput() throws Exception {
        Result r = sh("i=0; while [ $i -lt 163840 ]; do echo 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde; i=$((i+1)); done | head -c 10485760");
        assertThat(r.out()).hasSize(10 << 20);
        assertThat(r.out()).startsWith("0123456789abcdef").endsWith("abcde\n");
    }

    @Test
    @DisplayName("a missing program exits 127 with the reason on stderr; a signal death is 128+signal")
    void missingProgramAndSignal() throws Exception {
        Result r = run(ExecRequest.plain(List.of("no-such-program-x"), ENV, "/", HostAgent.FILTER), null);
        assertThat(r.status()).isEqualTo(127);
        assertThat(r.err()).isEqualTo("sandbox4j: cannot run no-such-program-x: No such file or directory\n");
        Result s = sh("kill -TERM $$");
        assertThat(s.status()).isEqualTo(128 + 15);
        assertThat(s.report().signaled()).isTrue();
    }

    @Test
    @DisplayName("the agent's timeout kills the tree, a child holding stdout included, and says so")
    void timeoutKillsTree() throws Exception {
        ExecRequest req = new ExecRequest(false, false, false, OptionalInt.empty(), 0, Duration.ofMillis(300),
                OptionalLong.empty(), OptionalLong.empty(), HostAgent.FILTER, "/", List.of("sh", "-c", "sleep 100 & echo started; sleep 100"), ENV);
        long t0 = System.nanoTime();
        Result r = run(req, null);
        assertThat(r.report().timedOut()).isTrue();
        assertThat(r.status()).isEqualTo(128 + 9);
        assertThat(r.out()).isEqualTo("started\n");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(20));
    }

    @Test
    @DisplayName("KILL from the host kills the exec and its children; both streams end")
    void killFromHost() throws Exception {
        AgentExec x = agent.connection.exec(ExecRequest.plain(List.of("sh", "-c", "sleep 100 & echo up; wait"), ENV, "/", HostAgent.FILTER), T, r -> { });
        byte[] first = new byte[3];
        assertThat(x.stdout().readNBytes(first, 0, 3)).isEqualTo(3);
        // one reader at a time: the drain starts only after "up\n" was read here
        CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> HostAgent.readAll(x.stdout()));
        x.killTree();
        assertThat(x.onExit().get(20, TimeUnit.SECONDS).exitCode()).isEqualTo(137);
        out.get(20, TimeUnit.SECONDS);
        assertThat(HostAgent.readAll(x.stderr())).isEmpty();
    }

    @Test
    @DisplayName("rlimits: ulimit -n shows RLIMIT_NOFILE; a write past RLIMIT_FSIZE fails with File too large")
    void rlimits() throws Exception {
        ExecRequest nofile = new ExecRequest(false, false, false, OptionalInt.empty(), 0, Duration.ZERO, OptionalLong.empty(),
                OptionalLong.of(77), HostAgent.FILTER, "/", List.of("sh", "-c", "ulimit -n"), ENV);
        assertThat(run(nofile, null).out()).isEqualTo("77\n");
        Path dir = HostAgent.tempDir();
        try {
            ExecRequest fsize = new ExecRequest(false, false, false, OptionalInt.empty(), 0, Duration.ZERO, OptionalLong.of(65536),
                    OptionalLong.empty(), HostAgent.FILTER, dir.toString(),
                    List.of("sh", "-c", "trap '' XFSZ; dd if=/dev/zero of=f bs=65536 count=2"), ENV);
            Result r = run(fsize, null);
            assertThat(r.status()).isNotZero();
            assertThat(r.err()).contains("File too large");
            assertThat(Files.size(dir.resolve("f"))).isEqualTo(65536);
        } finally {
            Files.deleteIfExists(dir.resolve("f"));
            Files.delete(dir);
        }
    }

    @Test
    @DisplayName("seccomp: a denied unshare fails with Operation not permitted; with KILL it dies of SIGSYS")
    void seccomp() throws Exception {
        byte[] strict = GuestFilter.forPolicy(IsolationPolicy.strict());
        ExecRequest eperm = new ExecRequest(true, false, false, OptionalInt.empty(), 0, Duration.ZERO, OptionalLong.empty(),
                OptionalLong.empty(), strict, "/", List.of("unshare", "-U", "true"), ENV);
        Result r = run(eperm, null);
        assertThat(r.status()).isNotZero();
        assertThat(r.err()).contains("Operation not permitted");
        IsolationPolicy killing = IsolationPolicy.strict().toBuilder()
                .syscalls(new SyscallPolicy(SyscallPolicy.DEFAULT_DENIED, SyscallPolicy.Action.KILL)).build();
        ExecRequest kill = new ExecRequest(true, false, false, OptionalInt.empty(), 0, Duration.ZERO, OptionalLong.empty(),
                OptionalLong.empty(), GuestFilter.forPolicy(killing), "/", List.of("unshare", "-U", "true"), ENV);
        assertThat(run(kill, null).status()).isEqualTo(128 + 31);
        ExecRequest nnp = new ExecRequest(true, false, false, OptionalInt.empty(), 0, Duration.ZERO, OptionalLong.empty(),
                OptionalLong.empty(), HostAgent.FILTER, "/", List.of("grep", "NoNewPrivs", "/proc/self/status"), ENV);
        assertThat(run(nnp, null).out()).matches("NoNewPrivs:\\s+1\\n");
    }

    @Test
    @DisplayName("the set-id guard holds for every command, a policy without a filter and a root command included")
    void setIdGuardAlways() throws Exception {
        Path dir = HostAgent.tempDir();
        try {
            // HostAgent.FILTER is a permissive policy's: no syscall filter of the policy's own, the guard alone
            Result r = run(ExecRequest.plain(List.of("sh", "-c", "touch f && chmod 4755 f; echo $?; chmod g+s f; echo $?;"
                    + " chmod 0755 f && stat -c %a f"), ENV, dir.toString(), HostAgent.FILTER), null);
            assertThat(r.out()).isEqualTo("1\n1\n755\n");
            assertThat(r.err()).contains("Operation not permitted");
        } finally {
            try (var s = Files.walk(dir)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    @DisplayName("an EXEC without a seccomp program is refused with EINVAL and runs nothing")
    void execWithoutProgram() throws Exception {
        Path marker = Files.createTempFile("sandbox4j-no-filter-", ".marker");
        Files.delete(marker);
        Process p = new ProcessBuilder(HostAgent.binary().toString(), "--stdio", "/bin/busybox")
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            assertThat(FrameCodec.read(p.getInputStream()).orElseThrow().type()).isEqualTo(FrameType.READY);
            byte[] payload = new PayloadWriter().u32(0).u32(0xffffffffL).u32(0xffffffffL).u64(0).u64(0).u64(-1).u64(-1)
                    .blob(new byte[0]).str("/").list(List.of("sh", "-c", "touch " + marker)).list(ENV).toByteArray();
            FrameCodec.write(p.getOutputStream(), new Frame(FrameType.EXEC, 5, payload));
            p.getOutputStream().flush();
            Frame answer = FrameCodec.read(p.getInputStream()).orElseThrow();
            assertThat(answer.type()).isEqualTo(FrameType.ERROR);
            assertThat(answer.id()).isEqualTo(5);
            AgentError e = AgentError.decode(answer);
            assertThat(e.errno()).isEqualTo(22);
            assertThat(e.message()).contains("seccomp program has 0 bytes").contains("no command runs without one");
            assertThat(Files.exists(marker)).isFalse();
        } finally {
            p.destroyForcibly();
            p.waitFor(5, TimeUnit.SECONDS);
        }
    }

    @Test
    @DisplayName("a command holds only fds 0, 1 and 2")
    void fdHygiene() throws Exception {
        assertThat(run(ExecRequest.plain(List.of("ls", "/proc/self/fd"), ENV, "/", HostAgent.FILTER), null).out().split("\\s+"))
                .containsExactly("0", "1", "2", "3");
    }

    @Test
    @DisplayName("files: write, read, list, delete; a read over the limit and a symlink on the path are refused")
    void files() throws Exception {
        Path dir = HostAgent.tempDir();
        try {
            String f = dir + "/sub/a.txt";
            agent.connection.writeFile(f, "hello".getBytes(UTF_8), 0644, true, T);
            byte[] big = new byte[(1 << 20) * 2 + 5];
            big[big.length - 1] = 7;
            agent.connection.writeFile(dir + "/big.bin", big, 0600, false, T);
            assertThat(agent.connection.readFile(f, DataSize.ofKiB(1), T)).asString(UTF_8).isEqualTo("hello");
            assertThat(agent.connection.readFile(dir + "/big.bin", DataSize.ofMiB(4), T)).isEqualTo(big);
            assertThatThrownBy(() -> agent.connection.readFile(dir + "/big.bin", DataSize.ofMiB(1), T))
                    .isInstanceOf(FileAccessException.class).hasMessageContaining("over the limit");
            Files.createSymbolicLink(dir.resolve("link"), dir.resolve("sub"));
            assertThatThrownBy(() -> agent.connection.readFile(dir + "/link/a.txt", DataSize.ofKiB(1), T))
                    .isInstanceOf(FileAccessException.class).hasMessageContaining("symbolic links")
                    .extracting(e -> ((FileAccessException) e).reason()).isEqualTo(FileAccessException.Reason.REFUSED);
            Files.setLastModifiedTime(dir.resolve("big.bin"), FileTime.from(Instant.parse("2001-02-03T04:05:06.789Z")));
            // before the epoch (negative mtime_ns); the JDK's setLastModifiedTime clamps such a time to 0
            assertThat(new ProcessBuilder("touch", "-d", "1969-12-31 23:59:58.5 UTC", dir.resolve("sub").toString())
                    .inheritIO().start().waitFor()).isZero();
            assertThat(agent.connection.list(dir.toString(), T)).containsExactly(
                    new FileEntry("big.bin", FileEntry.Type.FILE, big.length, Instant.parse("2001-02-03T04:05:06.789Z")),
                    new FileEntry("link", FileEntry.Type.SYMLINK, 0,
                            Files.getLastModifiedTime(dir.resolve("link"), LinkOption.NOFOLLOW_LINKS).toInstant()),
                    new FileEntry("sub", FileEntry.Type.DIRECTORY, 0, Instant.parse("1969-12-31T23:59:58.5Z")));
            assertThatThrownBy(() -> agent.connection.readFile(dir + "/sub", DataSize.ofKiB(1), T))
                    .isInstanceOf(FileAccessException.class)
                    .extracting(e -> ((FileAccessException) e).reason()).isEqualTo(FileAccessException.Reason.IS_A_DIRECTORY);
            assertThatThrownBy(() -> agent.connection.list(dir + "/big.bin", T))
                    .isInstanceOf(FileAccessException.class)
                    .extracting(e -> ((FileAccessException) e).reason()).isEqualTo(FileAccessException.Reason.NOT_A_DIRECTORY);
            assertThatThrownBy(() -> agent.connection.deleteEmpty(dir + "/sub", T))
                    .isInstanceOf(FileAccessException.class)
                    .extracting(e -> ((FileAccessException) e).reason()).isEqualTo(FileAccessException.Reason.NOT_EMPTY);
            assertThat(Files.exists(dir.resolve("sub/a.txt"))).as("a refused deleteEmpty removed something").isTrue();
            agent.connection.deleteEmpty(dir + "/link", T);
            assertThat(Files.exists(dir.resolve("sub/a.txt"))).as("deleting a symlink leaves its target").isTrue();
            Files.createDirectory(dir.resolve("empty"));
            agent.connection.deleteEmpty(dir + "/empty", T);
            assertThat(Files.exists(dir.resolve("empty"), LinkOption.NOFOLLOW_LINKS)).isFalse();
            agent.connection.delete(dir + "/sub", T);
            assertThat(agent.connection.list(dir.toString(), T)).extracting(FileEntry::name).containsExactly("big.bin");
            assertThatThrownBy(() -> agent.connection.readFile(dir + "/nope", DataSize.ofKiB(1), T))
                    .isInstanceOf(FileAccessException.class).hasMessageContaining("No such file")
                    .extracting(e -> ((FileAccessException) e).reason()).isEqualTo(FileAccessException.Reason.NOT_FOUND);
        } finally {
            try (var s = Files.walk(dir)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    @DisplayName("TAROUT and TARIN move a directory tree through busybox tar")
    void tar() throws Exception {
        Path src = HostAgent.tempDir();
        Path dst = HostAgent.tempDir();
        try {
            Files.writeString(src.resolve("x.txt"), "x");
            Files.createDirectory(src.resolve("d"));
            Files.writeString(src.resolve("d/y.txt"), "yy");
            AgentExec out = agent.connection.tarOut(src.toString(), HostAgent.FILTER, T);
            CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> HostAgent.readAll(out.stderr()));
            byte[] tar = HostAgent.readAll(out.stdout());
            assertThat(out.onExit().get(20, TimeUnit.SECONDS).exitCode()).as("tar -c: %s", new String(err.get(), UTF_8)).isZero();
            AgentExec in = agent.connection.tarIn(dst.toString(), HostAgent.FILTER, T);
            CompletableFuture<byte[]> inOut = CompletableFuture.supplyAsync(() -> HostAgent.readAll(in.stdout()));
            CompletableFuture<byte[]> inErr = CompletableFuture.supplyAsync(() -> HostAgent.readAll(in.stderr()));
            try (OutputStream o = in.stdin()) {
                o.write(tar);
            }
            assertThat(in.onExit().get(20, TimeUnit.SECONDS).exitCode()).as("tar -x: %s", new String(inErr.get(), UTF_8)).isZero();
            inOut.get();
            assertThat(Files.readString(dst.resolve("d/y.txt"))).isEqualTo("yy");
            assertThat(Files.readString(dst.resolve("x.txt"))).isEqualTo("x");
        } finally {
            for (Path root : List.of(src, dst)) {
                try (var s = Files.walk(root)) {
                    s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
    }

    @Test
    @DisplayName("16 concurrent execs each get their own output and status")
    void concurrent() throws Exception {
        List<CompletableFuture<Result>> all = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            int n = i;
            all.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return sh("echo " + n + "; exit " + n);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        for (int i = 0; i < 16; i++) {
            Result r = all.get(i).get(60, TimeUnit.SECONDS);
            assertThat(r.out()).isEqualTo(i + "\n");
            assertThat(r.status()).isEqualTo(i);
        }
    }

    @Test
    @DisplayName("malformed frames from the host are rejected with ERROR and the agent serves the next frame")
    void malformedFromHost() throws Exception {
        ByteArrayOutputStream junk = new ByteArrayOutputStream();
        junk.writeBytes("this is no frame at all".getBytes(UTF_8));
        junk.writeBytes(new byte[] {0x53, 0x34, 0x02, 0, 0, 0, 0, 9, 0x7f, 0, 0, 0}); // length 2 GiB
        junk.writeBytes(new byte[] {0x53, 0x34, 0x02, 1, 0, 0, 0, 9, 0, 0, 0, 0}); // flags not 0
        agent.connection.sendRaw(junk.toByteArray());
        assertThat(agent.connection.ping("still here".getBytes(UTF_8), T)).asString(UTF_8).isEqualTo("still here");
        // an unknown type, and an EXEC whose payload ends early: answered with ERROR for their ids
        agent.connection.sendRaw(new byte[] {0x53, 0x34, 0x7e, 0, 0x7f, 0, 0, 1, 0, 0, 0, 0});
        agent.connection.sendRaw(new byte[] {0x53, 0x34, 0x02, 0, 0x7f, 0, 0, 2, 0, 0, 0, 2, 0, 0});
        // a list count that the payload cannot hold
        agent.connection.sendRaw(new byte[] {0x53, 0x34, 0x07, 0, 0x7f, 0, 0, 3, 0, 0, 0, 4, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff});
        assertThat(agent.connection.ping("and here".getBytes(UTF_8), T)).asString(UTF_8).isEqualTo("and here");
        assertThat(sh("echo works").out()).isEqualTo("works\n");
        assertThat(agent.brokenReasons).isEmpty();
        assertThat(agent.process.isAlive()).isTrue();
    }
}
