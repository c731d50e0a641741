package dev.sandbox4j.benchmarks.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Runs a host command to its end through a plain {@link ProcessBuilder}, collecting its output the way a
 * careful caller would (both pipes drained, the exit status checked): the baseline's own cost, with no
 * library in between. A non-zero exit is an error, so a broken baseline never shows up as a fast one.
 */
public final class HostRun {
    /** What the command printed; the exit status was 0. */
    public record Output(String stdout, String stderr) {
    }

    private HostRun() {
    }

    public static Output run(List<String> argv) {
        ProcessBuilder pb = new ProcessBuilder(argv);
        try {
            Process p = pb.start();
            p.getOutputStream().close();
            // stderr on its own thread: a command that fills one pipe while we block on the other must not hang
            CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
            byte[] out = readAll(p.getInputStream());
            int code = p.waitFor();
            String stderr = new String(err.join(), StandardCharsets.UTF_8);
            if (code != 0) {
                throw new IllegalStateException("host command " + argv + " exited with " + code + ": " + stderr.strip());
            }
            return new Output(new String(out, StandardCharsets.UTF_8), stderr);
        } catch (IOException e) {
            throw new UncheckedIOException("starting host command " + argv + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + argv, e);
        }
    }

    /** Runs /bin/true: the cheapest process the JVM can start, the floor of every startup ratio. */
    public static void spawnTrue() {
        try {
            Process p = new ProcessBuilder("/bin/true").start();
            p.getOutputStream().close();
            p.getInputStream().readAllBytes();
            p.getErrorStream().readAllBytes();
            int code = p.waitFor();
            if (code != 0) {
                throw new IllegalStateException("/bin/true exited with " + code);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("starting /bin/true failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running /bin/true", e);
        }
    }

    private static byte[] readAll(InputStream in) {
        try (in) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            in.transferTo(b);
            return b.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException("reading a host command's output failed", e);
        }
    }
}
