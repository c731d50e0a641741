package dev.sandbox4j.benchmarks.support;

import dev.sandbox4j.spi.SessionLabels;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The {@code docker} CLI, for the engine baselines: whether it reaches a daemon, the image the baselines
 * run, and the flags that make {@code docker run} do what the docker backend does under the strict policy
 * (no network, the same limits, no capabilities, no new privileges, read-only root, a tmpfs /tmp, uid
 * 65534). Every container it makes carries the library's labels and this JVM's session id, so that the
 * container reaper removes it if the JVM dies. Thread-safe.
 */
public final class DockerCli {
    /** The container backend's own test image (busybox-static), used when present. */
    static final String TEST_IMAGE = "sandbox4j/test-busybox:1";
    /** Imported from the host's busybox-static when the test image is absent. */
    static final String BENCH_IMAGE = "sandbox4j/bench-busybox:1";

    private DockerCli() {
    }

    /** The docker CLI on PATH, if any. */
    public static Optional<Path> binary() {
        return BwrapCapture.which("docker");
    }

    /** Empty when the CLI reaches a daemon; else why not. */
    public static Optional<String> unavailableReason() {
        if (binary().isEmpty()) {
            return Optional.of("docker CLI not on PATH (apt-get install docker.io)");
        }
        try {
            Process p = new ProcessBuilder(binary().get().toString(), "version", "--format", "{{.Server.Version}}")
                    .redirectErrorStream(true).start();
            p.getOutputStream().close();
            if (!p.waitFor(15, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return Optional.of("docker version did not answer within 15 s");
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            return p.exitValue() == 0 ? Optional.empty() : Optional.of("docker daemon not reachable: " + out);
        } catch (IOException e) {
            return Optional.of("running docker failed: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of("interrupted");
        }
    }

    /** The image the baselines run: the test image, else one imported from /bin/busybox (made once). */
    public static String image() {
        if (exists(TEST_IMAGE)) {
            return TEST_IMAGE;
        }
        if (!exists(BENCH_IMAGE)) {
            importBusybox();
        }
        return BENCH_IMAGE;
    }

    /** {@code docker run --rm <strict-like flags> IMAGE true}. */
    public static List<String> runRm(String image) {
        List<String> argv = new ArrayList<>(List.of(docker(), "run", "--rm"));
        argv.addAll(strictFlags());
        argv.addAll(List.of(image, "true"));
        return argv;
    }

    /** Starts an idle container for the {@code docker exec} baseline; returns its id. */
    public static String startIdle(String image) {
        List<String> argv = new ArrayList<>(List.of(docker(), "run", "-d", "--init"));
        argv.addAll(strictFlags());
        argv.addAll(List.of(image, "sleep", "86400"));
        return HostRun.run(argv).stdout().strip();
    }

    /** {@code docker exec CONTAINER true}, as the sandbox's user. */
    public static List<String> exec(String container) {
        return List.of(docker(), "exec", "--user", "65534:65534", container, "true");
    }

    public static void remove(String container) {
        HostRun.run(List.of(docker(), "rm", "-f", container));
    }

    private static List<String> strictFlags() {
        return List.of("--network", "none", "--memory", "512m", "--cpus", "1", "--pids-limit", "128",
                "--cap-drop", "ALL", "--security-opt", "no-new-privileges", "--read-only", "--tmpfs", "/tmp",
                "--user", "65534:65534",
                "--label", SessionLabels.LIBRARY_KEY + "=" + SessionLabels.LIBRARY,
                "--label", SessionLabels.SESSION_KEY + "=" + SessionLabels.current());
    }

    private static boolean exists(String image) {
        try {
            Process p = new ProcessBuilder(docker(), "image", "inspect", image).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor() == 0;
        } catch (IOException e) {
            throw new UncheckedIOException("docker image inspect " + image + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** A one-binary image: busybox-static and the applet links the baselines use, labelled as the library's. */
    private static void importBusybox() {
        Path busybox = Path.of("/bin/busybox");
        if (!Files.isExecutable(busybox)) {
            throw new IllegalStateException("docker baselines: no " + TEST_IMAGE + " image and no /bin/busybox to make "
                    + BENCH_IMAGE + " from; apt-get install busybox-static");
        }
        String script = "set -e; d=$(mktemp -d); trap 'rm -rf \"$d\"' EXIT; mkdir \"$d/bin\" \"$d/tmp\";"
                + " cp /bin/busybox \"$d/bin/busybox\"; for a in sh true sleep; do ln -s busybox \"$d/bin/$a\"; done;"
                + " tar -C \"$d\" -c . | \"$0\" import --change 'LABEL " + SessionLabels.LIBRARY_KEY + "="
                + SessionLabels.LIBRARY + "' --change 'ENV PATH=/bin' - " + BENCH_IMAGE;
        HostRun.run(List.of("/bin/sh", "-c", script, docker()));
    }

    private static String docker() {
        return binary().orElseThrow(() -> new IllegalStateException("docker CLI not on PATH")).toString();
    }
}
