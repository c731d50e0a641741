package dev.sandbox4j.container;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;

/**
 * The tests' system-call probe ({@code syscall-probe.c}, a test resource): compiled once per test JVM with
 * gcc, static and non-PIE (the images have no compiler, and the i386 cases pass pointers below 4 GiB), and
 * its output read as {@code "<abi> <case>" -> "ok" | errno name | "signal N"}.
 */
final class SyscallProbe {
    private static byte[] binary;

    private SyscallProbe() {
    }

    /** The probe's executable bytes; fails the test when gcc cannot build it (apt-get install gcc libc6-dev). */
    static synchronized byte[] binary() throws IOException, InterruptedException {
        if (binary != null) {
            return binary;
        }
        Path dir = Files.createTempDirectory("sandbox4j-test-probe-");
        try {
            Path src = dir.resolve("syscall-probe.c");
            try (InputStream in = SyscallProbe.class.getResourceAsStream("syscall-probe.c")) {
                Files.copy(in, src);
            }
            Path out = dir.resolve("probe");
            Process p = new ProcessBuilder("gcc", "-O1", "-static", "-no-pie", "-Wall", "-o", out.toString(), src.toString())
                    .redirectErrorStream(true).start();
            String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(2, TimeUnit.MINUTES) || p.exitValue() != 0) {
                Assertions.fail("gcc could not build the syscall probe (apt-get install gcc libc6-dev): " + log);
            }
            binary = Files.readAllBytes(out);
            return binary;
        } finally {
            dev.sandbox4j.testkit.HostProbes.deleteTree(dir);
        }
    }

    private static byte[] i386;

    /**
     * A 32-bit x86 program ({@code i386-hello.S}) that prints {@code hello from i386} through int 0x80 and
     * exits 0, built with {@code gcc -m32 -nostdlib -static}; aborts the test (a skip) when this gcc cannot
     * link 32-bit code.
     */
    static synchronized byte[] i386Program() throws IOException, InterruptedException {
        if (i386 != null) {
            return i386;
        }
        Path dir = Files.createTempDirectory("sandbox4j-test-i386-");
        try {
            Path src = dir.resolve("i386-hello.S");
            try (InputStream in = SyscallProbe.class.getResourceAsStream("i386-hello.S")) {
                Files.copy(in, src);
            }
            Path out = dir.resolve("hello32");
            Process p = new ProcessBuilder("gcc", "-m32", "-nostdlib", "-static", "-no-pie", "-o", out.toString(), src.toString())
                    .redirectErrorStream(true).start();
            String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(2, TimeUnit.MINUTES) || p.exitValue() != 0) {
                org.junit.jupiter.api.Assumptions.abort("gcc cannot build a 32-bit x86 program here: " + log);
            }
            i386 = Files.readAllBytes(out);
            return i386;
        } finally {
            dev.sandbox4j.testkit.HostProbes.deleteTree(dir);
        }
    }

    /** {@code "x86_64 chmod-4755" -> "EPERM"}, from the probe's output; fails when it did not reach its end. */
    static Map<String, String> parse(String output) {
        Map<String, String> out = new LinkedHashMap<>();
        boolean done = false;
        for (String line : output.split("\n")) {
            if (line.equals("done")) {
                done = true;
                continue;
            }
            String[] f = line.split(" ", 3);
            if (f.length == 3) {
                out.put(f[0] + " " + f[1], f[2]);
            }
        }
        Assertions.assertTrue(done, "the probe did not finish: " + output);
        return out;
    }
}
