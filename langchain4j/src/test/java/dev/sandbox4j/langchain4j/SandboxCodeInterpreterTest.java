package dev.sandbox4j.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.langchain4j.data.image.Image;
import dev.langchain4j.data.message.Content;
import dev.langchain4j.data.message.ImageContent;
import dev.langchain4j.data.message.TextContent;
import dev.sandbox4j.DataSize;
import dev.sandbox4j.InvalidInputException;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.SandboxException;
import dev.sandbox4j.testkit.BackendRequirement;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link SandboxCodeInterpreter} with real python3 in real sandboxes, on namespaces and bubblewrap. */
class SandboxCodeInterpreterTest {
    /**
     * A cell that writes a real 2x1 PNG (red, blue) to the outputs directory with zlib and struct only; level 0
     * (stored) deflate, so the bytes do not depend on the zlib version and {@link #expectedPng()} can match them.
     */
    static final String WRITE_PNG = """
            import struct, zlib
            def chunk(kind, data):
                return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff)
            raw = b'\\x00' + bytes([255, 0, 0, 0, 0, 255])
            png = (b'\\x89PNG\\r\\n\\x1a\\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', 2, 1, 8, 2, 0, 0, 0))
                   + chunk(b'IDAT', zlib.compress(raw, 0)) + chunk(b'IEND', b''))
            open('/workspace/outputs/plot.png', 'wb').write(png)
            len(png)
            """;

    private final List<Sandbox> opened = new ArrayList<>();

    private Sandbox sandbox(String backend) {
        BackendRequirement.assumeAvailable(backend);
        Sandbox s = Sandbox.builder().backend(backend).policy(IsolationPolicy.strict()).build();
        opened.add(s);
        return s;
    }

    @AfterEach
    void closeSandboxes() {
        opened.forEach(Sandbox::close);
    }

    @ParameterizedTest
    @ValueSource(strings = {"namespaces", "bubblewrap"})
    void variablesImportsAndFunctionsPersistBetweenCells(String backend) {
        SandboxCodeInterpreter python = SandboxCodeInterpreter.of(sandbox(backend));

        CellResult first = python.run("x = 41\nimport json\ndef twice(n):\n    return 2 * n");
        assertThat(first.succeeded()).isTrue();
        assertThat(first.value()).isEmpty();
        assertThat(first.stateLost()).isFalse();
        assertThat(first.text()).isEqualTo("(the cell ran and printed nothing)");

        assertThat(python.run("x + 1").value()).contains("42");
        assertThat(python.run("json.dumps({'a': twice(x)})").value()).contains("'{\"a\": 82}'");
        // a last expression whose value is None shows nothing, as in a notebook; `_` keeps the last value
        assertThat(python.run("print('side effect')").value()).isEmpty();
        assertThat(python.run("_").value()).contains("'{\"a\": 82}'");
    }

    @ParameterizedTest
    @ValueSource(strings = {"namespaces", "bubblewrap"})
    void stdoutAndStderrAreSeparateAndAFakeFrameInTheOutputIsJustOutput(String backend) {
        SandboxCodeInterpreter python = SandboxCodeInterpreter.of(sandbox(backend));

        // a cell writing what looks like a protocol frame (length prefix + JSON) to stdout, from Python and from
        // a subprocess, and to the original fd 1 by number
        CellResult r = python.run("""
                import sys, os, subprocess, struct, json
                fake = json.dumps({'type': 'result', 'id': 1, 'stdout': 'forged'}).encode()
                sys.stdout.buffer.write(struct.pack('>I', len(fake)) + fake)
                sys.stdout.flush()
                os.write(1, struct.pack('>I', len(fake)) + fake)
                print()
                print('to stderr', file=sys.stderr)
                subprocess.run(['sh', '-c', 'echo from-child; echo child-err >&2'])
                'done'
                """);

        assertThat(r.succeeded()).as(r.text()).isTrue();
        assertThat(r.stdout()).contains("\"stdout\": \"forged\"").endsWith("from-child\n").doesNotContain("to stderr");
        assertThat(r.stderr()).isEqualTo("to stderr\nchild-err\n");
        assertThat(r.value()).contains("'done'");
        assertThat(python.run("6 * 7").value()).contains("42");
    }

    @ParameterizedTest
    @ValueSource(strings = {"namespaces", "bubblewrap"})
    void forgedFramesOnTheProtocolDescriptorCannotFakeAResultOrFillTheJvm(String backend) {
        SandboxCodeInterpreter python = SandboxCodeInterpreter.of(sandbox(backend));
        python.run("secret = 'kept'");

        // the cell finds the driver's protocol descriptor and floods it with well-formed replies to other cells
        CellResult flood = python.run("""
                import sys
                driver = sys.modules['__main__']
                for i in range(20000):
                    driver.send({'type': 'result', 'id': 10**6 + i, 'stdout': 'forged', 'stderr': '', 'value': 'forged',
                                 'error': None, 'outputs': []})
                'real'
                """);
        assertThat(flood.value()).contains("'real'");
        assertThat(flood.stdout()).isEmpty();
        assertThat(python.run("secret").value()).contains("'kept'");

        // garbage that breaks the framing ends the process: the result says the state was lost, the next call works
        CellResult broken = python.run("import os, sys\nos.write(sys.modules['__main__'].PROTO_OUT, b'\\xff\\xff\\xff\\xffjunk')\n"
                + "import time\ntime.sleep(30)");
        assertThat(broken.stateLost()).isTrue();
        assertThat(broken.error().orElseThrow().type()).isEqualTo("InterpreterExited");
        assertThat(broken.error().orElseThrow().message()).contains("broken protocol stream: a frame of -1 bytes");
        assertThat(python.run("'secret' in globals()").value()).contains("False");
    }

    @ParameterizedTest
    @ValueSource(strings = {"namespaces", "bubblewrap"})
    void anExceptionReturnsItsTracebackAndKeepsTheState(String backend) {
        SandboxCodeInterpreter python = SandboxCodeInterpreter.of(sandbox(backend));
        python.run("data = [1, 2, 3]");

        CellResult r = python.run("print('before')\ndef f():\n    return 1 / 0\nf()");

        assertThat(r.succeeded()).isFalse();
        assertThat(r.stdout()).isEqualTo("before\n");
        CellResult.Failure e = r.error().orElseThrow();
        assertThat(e.type()).isEqualTo("ZeroDivisionError");
        assertThat(e.message()).isEqualTo("division by zero");
        assertThat(e.traceback()).startsWith("Traceback (most recent call last):\n  File \"<cell 2>\", line 4, in <module>")
                .contains("line 3, in f", "return 1 / 0").endsWith("ZeroDivisionError: division by zero\n")
                .doesNotContain("interpreter_driver", "run_code");
        assertThat(r.text()).contains("stdout:\nbefore", "error: ZeroDivisionError: division by zero\nTraceback");
        assertThat(r.stateLost()).isFalse();
        assertThat(python.run("sum(data)").value()).contains("6");

        CellResult syntax = python.run("def broken(:");
        assertThat(syntax.error().orElseThrow().type()).isEqualTo("SyntaxError");
        CellResult exit = python.run("import sys\nsys.exit(4)");
        assertThat(exit.error().orElseThrow().type()).isEqualTo("SystemExit");
        assertThat(python.run("len(data)").value()).contains("3");
    }

    @ParameterizedTest
    @ValueSource(strings = {"namespaces", "bubblewrap"})
    void aCellPastItsTimeoutIsInterruptedAndTheStateIsKept(String backend) {
        SandboxCodeInterpreter python = SandboxCodeInterpreter.builder(sandbox(backend))
                .timeout(Duration.ofSeconds(2)).build();
        python.run("counter = 7");

        CellResult busy = python.run("print('spinning', flush=True)\nwhile True: pass");
        assertThat(busy.timedOut()).isTrue();
        assertThat(busy.stateLost()).isFalse();
        assertThat(busy.error().orElseThrow().type()).isEqualTo("KeyboardInterrupt");
        assertThat(busy.error().orElseThrow().traceback()).contains("<cell 2>", "while True: pass");
        assertThat(busy.stdout()).isEqualTo("spinning\n");
        assertThat(busy.text()).contains("ran past its timeout of 2s and was interrupted with KeyboardInterrupt; the interpreter's state is kept");

        CellResult sleeping = python.run("import time\ntime.sleep(100)");
        assertThat(sleeping.timedOut()).isTrue();
        assertThat(sleeping.error().orElseThrow().type()).isEqualTo("KeyboardInterrupt");
        assertThat(sleeping.error().orElseThrow().traceback()).contains("time.sleep(100)");
        // the 100 s sleep really ended: the call returned long before it (the timeout plus at most the grace)
        assertThat(sleeping.duration()).isLessThan(Duration.ofSeconds(60));

        CellResult after = python.run("counter + 1");
        assertThat(after.value()).contains("8");
        assertThat(after.stateLost()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"namespaces", "bubblewrap"})
    void aCellThatIgnoresTheInterruptIsKilledAndTheStateIsLost(String backend) {
        SandboxCodeInterpreter python = SandboxCodeInterpreter.builder(sandbox(backend))
                .timeout(Duration.ofSeconds(1)).interruptGrace(Duration.ofSeconds(1)).build();
        python.run("kept = 1");

        CellResult r = python.run("import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True: time.sleep(0.05)");

        assertThat(r.timedOut()).isTrue();
        assertThat(r.stateLost()).isTrue();
        assertThat(r.error().orElseThrow().type()).isEqualTo("Timeout");
        assertThat(r.text()).contains("did not stop within 1s of the interrupt (KeyboardInterrupt), so the process was killed",
                "the variables, imports and data of earlier cells are gone");

        CellResult next = python.run("'kept' in globals()");
        assertThat(next.value()).contains("False");
        assertThat(next.stateLost()).isTrue();
        assertThat(next.text()).startsWith("note: a new Python process was started: cell 2 ran past its timeout");
        assertThat(python.run("1 + 1").stateLost()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"namespaces", "bubblewrap"})
    void aCrashOfTheInterpreterSaysTheStateWasLostAndTheNextCallWorks(String backend) {
        SandboxCodeInterpreter python = SandboxCodeInterpreter.of(sandbox(backend));
        python.run("x = 41");

        CellResult crash = python.run("import os\nos._exit(3)");

        assertThat(crash.stateLost()).isTrue();
        assertThat(crash.error().orElseThrow().type()).isEqualTo("InterpreterExited");
        assertThat(crash.error().orElseThrow().message()).contains("the Python process ended with exit code 3 during cell 2");
        assertThat(crash.text()).contains("the next call starts a new process");

        CellResult next = python.run("'x' in globals()");
        assertThat(next.stateLost()).isTrue();
        assertThat(next.value()).contains("False");
        assertThat(next.text()).startsWith("note: a new Python process was started: the Python process ended with exit code 3 during cell 2");

        CellResult segv = python.run("import ctypes\nctypes.string_at(0)");
        assertThat(segv.stateLost()).isTrue();
        assertThat(segv.error().orElseThrow().message()).contains("(killed by signal 11, SIGSEGV: a crash) during cell 4");
        assertThat(python.run("2 + 2").value()).contains("4");

        // past the policy's memory limit (512 MiB for strict)
        CellResult oom = python.run("blocks = []\nwhile True: blocks.append(b'x' * (64 * 1024 * 1024))");
        assertThat(oom.stateLost()).isTrue();
        assertThat(oom.error().orElseThrow().message())
                .contains("the Python process ended (killed by signal 9: usually the sandbox's memory limit)");
        assertThat(python.run("3 + 3").value()).contains("6");
    }

    @ParameterizedTest
    @ValueSource(strings = {"namespaces"})
    void callsFromSeveralThreadsAreSerialized(String backend) throws Exception {
        SandboxCodeInterpreter python = SandboxCodeInterpreter.of(sandbox(backend));
        python.run("import time\nn = 0");
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            // a read-modify-write with a pause inside: two cells at once would lose an increment
            List<Callable<CellResult>> jobs = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                jobs.add(() -> python.run("v = n\ntime.sleep(0.05)\nn = v + 1\nn"));
            }
            List<String> values = new ArrayList<>();
            for (Future<CellResult> f : pool.invokeAll(jobs, 120, TimeUnit.SECONDS)) {
                values.add(f.get().value().orElseThrow());
            }
            assertThat(values).containsExactlyInAnyOrder("1", "2", "3", "4", "5", "6", "7", "8");
        } finally {
            pool.shutdownNow();
        }
        assertThat(python.run("n").value()).contains("8");
    }

    @ParameterizedTest
    @ValueSource(strings = {"namespaces", "bubblewrap"})
    void aProcessStartedInOneCellIsStillRunningInTheNext(String backend) {
        SandboxCodeInterpreter python = SandboxCodeInterpreter.of(sandbox(backend));
        python.run("import subprocess\nchild = subprocess.Popen(['sleep', '300'])");
        assertThat(python.run("child.poll() is None").value()).contains("True");
        assertThat(python.run("child.kill(); child.wait()").value()).contains("-9");
    }

    @ParameterizedTest
    @ValueSource(strings = {"namespaces", "bubblewrap"})
    void aPngSavedInOutputsComesBackAsAnImageWithItsBytes(String backend) throws IOException {
        Sandbox sandbox = sandbox(backend);
        SandboxCodeInterpreter python = SandboxCodeInterpreter.of(sandbox);

        CellResult r = python.run(WRITE_PNG);

        assertThat(r.succeeded()).as(r.text()).isTrue();
        assertThat(r.outputs()).hasSize(1);
        CellResult.OutputFile f = r.outputs().get(0);
        assertThat(f.path()).isEqualTo(sandbox.workspacePath() + "/outputs/plot.png");
        assertThat(f.mimeType()).isEqualTo("image/png");
        byte[] expected = expectedPng();
        assertThat(f.bytes()).isEqualTo(expected);
        assertThat(r.value()).contains(String.valueOf(expected.length));
        Image image = r.images().get(0);
        assertThat(image.mimeType()).isEqualTo("image/png");
        assertThat(Base64.getDecoder().decode(image.base64Data())).isEqualTo(expected);
        assertThat(sandbox.files().read("outputs/plot.png")).isEqualTo(expected);
        assertThat(r.text()).contains("image: " + f.path() + " (image/png, " + expected.length + " bytes)");

        // an unchanged file is not returned again; a file that is not an image is named, not returned
        assertThat(python.run("1").outputs()).isEmpty();
        CellResult fake = python.run("open('/workspace/outputs/fake.png', 'w').write('not a png')");
        assertThat(fake.outputs()).isEmpty();
        assertThat(fake.notes()).containsExactly("note: " + sandbox.workspacePath()
                + "/outputs/fake.png is not a PNG, JPEG, GIF or WebP image; not returned");

        // a symlink is never followed (the files API refuses it), and an image past the size cap is named, not read
        CellResult link = python.run("import os\nos.symlink('/etc/passwd', '/workspace/outputs/passwd.png')");
        assertThat(link.outputs()).isEmpty();
        assertThat(link.notes()).singleElement().asString()
                .startsWith("note: " + sandbox.workspacePath() + "/outputs/passwd.png not returned: ").contains("symlink");
        CellResult big = SandboxCodeInterpreter.builder(sandbox).maxImageSize(DataSize.ofBytes(40)).build()
                .run(WRITE_PNG.replace("plot.png", "big.png"));
        assertThat(big.outputs()).isEmpty();
        assertThat(big.notes()).singleElement().asString()
                .startsWith("note: " + sandbox.workspacePath() + "/outputs/big.png not returned: ");

        // the tool gives the same image to the model as ImageContent after the text
        List<Content> contents = new CodeInterpreterTool(python).runPython(WRITE_PNG.replace("len(png)", "import os; os.utime('/workspace/outputs/plot.png', (1, 1))"));
        assertThat(contents).hasSize(2);
        assertThat(((TextContent) contents.get(0)).text()).contains("image: " + f.path());
        assertThat(Base64.getDecoder().decode(((ImageContent) contents.get(1)).image().base64Data())).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"namespaces", "bubblewrap"})
    void aMatplotlibFigureLeftOpenComesBackAsAPng(String backend) {
        Sandbox sandbox = sandbox(backend);
        SandboxCodeInterpreter python = SandboxCodeInterpreter.of(sandbox);
        Assumptions.assumeTrue(python.run("import importlib.util\nimportlib.util.find_spec('matplotlib') is not None")
                .value().orElseThrow().equals("True"), "the sandbox's python3 has no matplotlib");

        CellResult r = python.run("import matplotlib.pyplot as plt\nplt.plot([1, 2, 3], [1, 4, 9])\nplt.title('squares')\n"
                + "import matplotlib\nmatplotlib.get_backend()");

        assertThat(r.succeeded()).as(r.text()).isTrue();
        assertThat(r.value()).contains("'agg'");
        assertThat(r.outputs()).hasSize(1);
        CellResult.OutputFile f = r.outputs().get(0);
        assertThat(f.path()).isEqualTo(sandbox.workspacePath() + "/outputs/figure-2-1.png");
        assertThat(f.mimeType()).isEqualTo("image/png");
        assertThat(f.bytes()).hasSizeGreaterThan(1000).isEqualTo(sandbox.files().read("outputs/figure-2-1.png"));
        // the figure was closed after it was saved: the next cell returns no image
        assertThat(python.run("plt.get_fignums()").value()).contains("[]");
    }

    @ParameterizedTest
    @ValueSource(strings = {"namespaces", "bubblewrap"})
    void outputPastTheCapIsCutAndSaysSo(String backend) {
        SandboxCodeInterpreter python = SandboxCodeInterpreter.builder(sandbox(backend))
                .maxOutput(DataSize.ofKiB(4)).build();

        CellResult r = python.run("import sys, os\nsys.stdout.write('x' * 5_000_000)\nsys.stdout.flush()\n"
                + "os.system('head -c 3000000 /dev/zero | tr \"\\\\0\" e >&2')\n'v' * 100_000");

        assertThat(r.stdout()).isEqualTo("x".repeat(4096));
        assertThat(r.stdoutTruncated()).isTrue();
        assertThat(r.stderr()).isEqualTo("e".repeat(4096));
        assertThat(r.stderrTruncated()).isTrue();
        assertThat(r.value().orElseThrow()).hasSize(4096).startsWith("'vvv");
        assertThat(r.text()).contains("note: stdout passed the interpreter's output cap; the rest was dropped",
                "note: stderr passed the interpreter's output cap; the rest was dropped").hasSizeLessThan(3 * 4096 + 400);
        assertThat(python.run("'still here'").value()).contains("'still here'");

        // the documented default is 32 KiB per stream
        CellResult byDefault = SandboxCodeInterpreter.of(python.sandbox()).run("print('y' * 40_000)");
        assertThat(byDefault.stdout()).isEqualTo("y".repeat(32 * 1024));
        assertThat(byDefault.stdoutTruncated()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"namespaces", "bubblewrap"})
    void closingTheSandboxEndsThePythonProcess(String backend) throws Exception {
        String marker = "s4jtest" + UUID.randomUUID().toString().replace("-", "");
        Sandbox sandbox = sandbox(backend);
        // -X takes any name=value; it only puts a marker into the process's command line for this test to find
        SandboxCodeInterpreter python = SandboxCodeInterpreter.builder(sandbox).python("python3", "-X", marker).build();
        assertThat(python.run("import sys\nsys._xoptions").value().orElseThrow()).contains(marker);
        assertThat(hostProcessesWith(marker)).isNotEmpty();
        CompletableFuture<CellResult> running = CompletableFuture.supplyAsync(() ->
                python.run("open('/workspace/started', 'w').close()\nimport time\ntime.sleep(300)"));
        long started = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!sandbox.files().exists("started") && System.nanoTime() < started) {
            Thread.sleep(20);
        }

        sandbox.close();

        // the cell running at the close returns, and says why
        CellResult r = running.get(60, TimeUnit.SECONDS);
        assertThat(r.stateLost()).isTrue();
        assertThat(r.error().orElseThrow().type()).isEqualTo("Closed");
        assertThat(r.error().orElseThrow().message()).isEqualTo("the sandbox was closed during cell 2");
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!hostProcessesWith(marker).isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(hostProcessesWith(marker)).isEmpty();
        assertThatThrownBy(() -> python.run("1")).isInstanceOf(SandboxException.class);
        assertThat(python.execute("1")).startsWith("the code could not be run: ");
    }

    @ParameterizedTest
    @ValueSource(strings = {"namespaces"})
    void closingTheInterpreterEndsOnlyItsProcess(String backend) throws Exception {
        String marker = "s4jtest" + UUID.randomUUID().toString().replace("-", "");
        Sandbox sandbox = sandbox(backend);
        SandboxCodeInterpreter python = SandboxCodeInterpreter.builder(sandbox).python("python3", "-X", marker).build();
        python.run("1");

        python.close();

        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!hostProcessesWith(marker).isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(hostProcessesWith(marker)).isEmpty();
        assertThatThrownBy(() -> python.run("1")).isInstanceOf(SandboxException.class).hasMessageContaining("is closed");
        assertThat(SandboxCodeInterpreter.of(sandbox).run("3 * 3").value()).contains("9");
    }

    @ParameterizedTest
    @ValueSource(strings = {"namespaces"})
    void asACodeExecutionEngineItKeepsStateToo(String backend) {
        SandboxCodeInterpreter python = SandboxCodeInterpreter.of(sandbox(backend));
        assertThat(python.execute("y = 20\nprint('set')")).isEqualTo("stdout:\nset");
        assertThat(python.execute("y + 22")).isEqualTo("Out: 42");
        assertThat(python.execute("x = 1")).isEqualTo("(the cell ran and printed nothing)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"namespaces"})
    void aMissingPythonIsAClearError(String backend) {
        SandboxCodeInterpreter python = SandboxCodeInterpreter.builder(sandbox(backend)).python("no-such-python").build();
        assertThatThrownBy(() -> python.run("1")).isInstanceOf(SandboxException.class)
                .hasMessageContaining("no-such-python").hasMessageContaining("needs python3 on its PATH");
    }

    @ParameterizedTest
    @ValueSource(strings = {"namespaces"})
    void badOptionsAreRefused(String backend) {
        Sandbox s = sandbox(backend);
        assertThatThrownBy(() -> SandboxCodeInterpreter.builder(null)).isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> SandboxCodeInterpreter.builder(s).timeout(Duration.ZERO))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("must be a positive duration");
        assertThatThrownBy(() -> SandboxCodeInterpreter.builder(s).maxOutput(DataSize.ofBytes(0)))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("at least 1 byte");
        assertThatThrownBy(() -> SandboxCodeInterpreter.of(s).run(null))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("no code given");
    }

    /** The PNG of {@link #WRITE_PNG}, made here in Java from the PNG specification. */
    static byte[] expectedPng() {
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        png.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        chunk(png, "IHDR", ByteBuffer.allocate(13).putInt(2).putInt(1).put(new byte[] {8, 2, 0, 0, 0}).array());
        Deflater stored = new Deflater(0);
        stored.setInput(new byte[] {0, (byte) 255, 0, 0, 0, 0, (byte) 255});
        stored.finish();
        byte[] buf = new byte[256];
        int n = stored.deflate(buf);
        stored.end();
        chunk(png, "IDAT", Arrays.copyOf(buf, n));
        chunk(png, "IEND", new byte[0]);
        return png.toByteArray();
    }

    private static void chunk(ByteArrayOutputStream png, String kind, byte[] data) {
        byte[] type = kind.getBytes(StandardCharsets.US_ASCII);
        CRC32 crc = new CRC32();
        crc.update(type);
        crc.update(data);
        png.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        png.writeBytes(type);
        png.writeBytes(data);
        png.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    /** Host pids whose command line contains {@code marker}. */
    private static List<String> hostProcessesWith(String marker) throws IOException {
        List<String> pids = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(d -> d.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    String cmd = new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8);
                    if (cmd.contains(marker)) {
                        pids.add(p.getFileName().toString());
                    }
                } catch (IOException e) {
                    // the process ended while we looked
                }
            }
        }
        return pids;
    }
}
