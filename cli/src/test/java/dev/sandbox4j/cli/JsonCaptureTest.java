package dev.sandbox4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code run --json} holds a constant amount of memory whatever the cap: the CLI runs in a child JVM with a
 * 48 MiB heap while the command prints 200 MB under a 1g cap, and the report still carries all of it.
 */
class JsonCaptureTest {
    private static final long PRINTED = 200_000_000L;

    @Test
    void aReportFarLargerThanTheHeapIsWrittenFromDisk(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("report.json");
        Path err = dir.resolve("stderr");
        Process p = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx48m", "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "run", "--backend", "none", "--preset", "permissive", "--json", "--max-output", "1g", "--",
                "sh", "-c", "head -c " + PRINTED + " /dev/zero | tr '\\0' a; echo done >&2"))
                .redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(new File("/dev/null")).start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("the CLI finished").isTrue();
        assertThat(p.exitValue()).as("exit status; stderr: %s", Files.readString(err)).isZero();

        // the report is far larger than this test should parse into memory: check its frame and its size
        long size = Files.size(out);
        assertThat(size).isBetween(PRINTED, PRINTED + 400);
        byte[] head = new byte[64];
        byte[] tail = new byte[300];
        try (RandomAccessFile f = new RandomAccessFile(out.toFile(), "r")) {
            f.readFully(head);
            f.seek(size - tail.length);
            f.readFully(tail);
        }
        assertThat(new String(head, StandardCharsets.UTF_8)).startsWith("{\"exitCode\":0,\"timedOut\":false,\"stdout\":\"aaaa");
        String end = new String(tail, StandardCharsets.UTF_8);
        assertThat(end).contains("aaaa\",\"stderr\":\"done\\n\",\"stdoutTruncated\":false").endsWith("}\n");
    }

    @Test
    void anEndlessFloodPastTheCapStillEndsAtTheTimeout(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("report.json");
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx48m", "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "run", "--backend", "none", "--preset", "permissive", "--json", "--max-output", "64m", "--timeout", "2s", "--",
                "sh", "-c", "yes sandbox4j"))
                .redirectOutput(out.toFile()).redirectError(dir.resolve("stderr").toFile())
                .redirectInput(new File("/dev/null")).start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("the CLI finished").isTrue();
        long millis = (System.nanoTime() - t0) / 1_000_000;
        System.out.println("[JsonCaptureTest] --json --timeout 2s under an endless flood returned after " + millis
                + " ms with " + Files.size(out) + " bytes of report");
        assertThat(p.exitValue()).as("the CLI's status for a timeout; stderr: %s", Files.readString(dir.resolve("stderr")))
                .isEqualTo(RunCommand.TIMED_OUT);
        byte[] head = new byte[40];
        try (RandomAccessFile f = new RandomAccessFile(out.toFile(), "r")) {
            f.readFully(head);
        }
        assertThat(new String(head, StandardCharsets.UTF_8)).startsWith("{\"exitCode\":");
        // 64 MiB of "sandbox4j\n" kept, the rest drained and dropped: the report holds the cap, each newline
        // escaped as two characters (11 bytes per 10), and little more
        assertThat(Files.size(out)).isBetween(64L << 20, (64L << 20) / 10 * 11 + 4096);
        assertThat(Files.readString(dir.resolve("stderr"))).isEmpty();
    }
}
