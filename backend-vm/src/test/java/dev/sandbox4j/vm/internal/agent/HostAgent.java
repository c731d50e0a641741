package dev.sandbox4j.vm.internal.agent;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The real guest agent binary, built by this module, started on the host in test mode ({@code --stdio}):
 * the same protocol as in a VM, over the process's stdin and stdout.
 */
public final class HostAgent implements AutoCloseable {
    /** The seccomp program of a permissive sandbox (the set-id guard alone): every EXEC must carry one. */
    public static final byte[] FILTER = dev.sandbox4j.vm.internal.session.GuestFilter.forPolicy(dev.sandbox4j.IsolationPolicy.permissive());
    public final Process process;
    public final AgentConnection connection;
    public final List<String> brokenReasons = new CopyOnWriteArrayList<>();

    private HostAgent(Process process) {
        this.process = process;
        this.connection = new AgentConnection("host-agent-" + process.pid(), process.getInputStream(),
                process.getOutputStream(), brokenReasons::add);
    }

    /** The agent binary the build compiled into the module's resources. */
    public static Path binary() {
        URL url = HostAgent.class.getResource("/dev/sandbox4j/vm/internal/image/sandbox4j-agent");
        if (url == null) {
            throw new IllegalStateException("the agent binary is not on the test class path; run the Maven build (generate-resources compiles it)");
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    public static HostAgent start() {
        try {
            Process p = new ProcessBuilder(binary().toString(), "--stdio", "/bin/busybox")
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            HostAgent a = new HostAgent(p);
            a.connection.start();
            a.connection.awaitReady(Duration.ofSeconds(10));
            return a;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException(e);
        }
    }

    public static byte[] readAll(InputStream in) {
        try {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Path tempDir() throws IOException {
        return Files.createTempDirectory("sandbox4j-vm-agent-test-");
    }

    @Override
    public void close() {
        connection.close();
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
