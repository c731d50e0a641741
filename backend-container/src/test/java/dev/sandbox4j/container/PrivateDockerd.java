package dev.sandbox4j.container;

import dev.sandbox4j.container.internal.engine.Endpoint;
import dev.sandbox4j.container.internal.engine.RawHttp;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A Docker engine of the test's own, so that a test can kill it without touching the host's dockerd
 * that others use: its own socket, data root, exec root, pid file and (managed) containerd, all in one
 * temp directory; no bridge, no iptables rules (sandboxes use network none). {@link #close()} stops it,
 * ends what it left running (the containerd shims, found by the directory in their command line: they
 * descend from the dockerd this class started), unmounts what it mounted there and deletes the
 * directory. Root only. Not thread-safe.
 */
final class PrivateDockerd implements AutoCloseable {
    private final Path dir;
    private Process dockerd;

    private PrivateDockerd(Path dir) {
        this.dir = dir;
    }

    /** Why this host cannot run one, if it cannot. */
    static Optional<String> unavailableReason() {
        if (!"root".equals(System.getProperty("user.name"))) {
            return Optional.of("a private dockerd needs root");
        }
        for (String d : System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin").split(":")) {
            if (Files.isExecutable(Path.of(d, "dockerd"))) {
                return Optional.empty();
            }
        }
        return Optional.of("no dockerd on the PATH (apt-get install docker.io)");
    }

    static PrivateDockerd create() throws IOException {
        Path d = Files.createTempDirectory(Path.of("/tmp"), "s4j-pd-");
        Files.createDirectories(d.resolve("data"));
        Files.createDirectories(d.resolve("exec"));
        // an empty configuration: the host's /etc/docker/daemon.json is not this engine's business
        Files.writeString(d.resolve("daemon.json"), "{}");
        return new PrivateDockerd(d);
    }

    String uri() {
        return "unix://" + socket();
    }

    Path socket() {
        return dir.resolve("docker.sock");
    }

    long pid() {
        return dockerd.pid();
    }

    /** Starts dockerd (again) and waits until it answers /_ping. */
    void start() throws IOException, InterruptedException {
        // what a killed dockerd and its containerd left: their pids are dead (or, worse, reused)
        Files.deleteIfExists(socket());
        Files.deleteIfExists(dir.resolve("docker.pid"));
        Files.deleteIfExists(dir.resolve("exec").resolve("containerd").resolve("containerd.pid"));
        dockerd = new ProcessBuilder("dockerd", "-H", uri(), "--data-root", dir.resolve("data").toString(),
                "--exec-root", dir.resolve("exec").toString(), "--pidfile", dir.resolve("docker.pid").toString(),
                "--config-file", dir.resolve("daemon.json").toString(), "--bridge=none", "--iptables=false",
                "--ip-masq=false", "--ip-forward=false", "--exec-opt", "native.cgroupdriver=cgroupfs")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("dockerd.log").toFile()))
                .start();
        Endpoint e = Endpoint.unix(socket(), "private test dockerd");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline && dockerd.isAlive()) {
            try {
                if (Files.exists(socket()) && RawHttp.get(e, "/_ping", Duration.ofSeconds(2)).contains("OK")) {
                    return;
                }
            } catch (IOException notYet) {
                // starting
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("the private dockerd did not come up; its log:\n" + log());
    }

    /** SIGKILL to the dockerd this class started (its managed containerd dies with it). */
    void kill() throws InterruptedException {
        dockerd.destroyForcibly();
        dockerd.waitFor(30, TimeUnit.SECONDS);
    }

    String log() {
        try {
            String l = String.join("\n", Files.readString(dir.resolve("dockerd.log"), StandardCharsets.UTF_8).lines()
                    .filter(x -> !x.contains("Connectivity change")).toList());
            return l.length() > 4000 ? l.substring(l.length() - 4000) : l;
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    @Override
    public void close() throws IOException, InterruptedException {
        if (dockerd != null && dockerd.isAlive()) {
            dockerd.destroy();
            if (!dockerd.waitFor(40, TimeUnit.SECONDS)) {
                dockerd.destroyForcibly();
                dockerd.waitFor(10, TimeUnit.SECONDS);
            }
        }
        for (long pid : processesNaming(dir.toString())) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
        List<String> mounts = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
            String target = line.split(" ")[1].replace("\\040", " ");
            if (target.startsWith(dir.toString())) {
                mounts.add(target);
            }
        }
        mounts.sort(Comparator.reverseOrder());
        for (String m : mounts) {
            new ProcessBuilder("umount", "-l", m).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start().waitFor(30, TimeUnit.SECONDS);
        }
        new ProcessBuilder("rm", "-rf", "--one-file-system", dir.toString()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(60, TimeUnit.SECONDS);
    }

    /** Pids of the processes whose command line names {@code text} (this engine's directory). */
    static List<Long> processesNaming(String text) throws IOException {
        List<Long> out = new ArrayList<>();
        long self = ProcessHandle.current().pid();
        try (var procs = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString().matches("\\d+"))) {
            for (Path p : procs) {
                try {
                    String cmd = new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8);
                    long pid = Long.parseLong(p.getFileName().toString());
                    if (pid != self && cmd.contains(text)) {
                        out.add(pid);
                    }
                } catch (IOException gone) {
                    // ended meanwhile
                }
            }
        }
        return out;
    }
}
