package dev.sandbox4j.vm.internal.qemu;

import dev.sandbox4j.SandboxStartException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One running QEMU: its process (tied to the JVM by {@link Spawner}), its QMP channel on stdio, its
 * stderr in {@code qemu.log} and its serial console in {@code console.log} of the runtime directory.
 * Thread-safe.
 */
public final class QemuInstance implements AutoCloseable {
    private final Process process;
    private final Qmp qmp;
    private final RuntimeDir dir;
    private final List<String> args;

    private QemuInstance(Process process, RuntimeDir dir, List<String> args, String name) {
        this.process = process;
        this.dir = dir;
        this.args = args;
        this.qmp = new Qmp(process.getInputStream(), process.getOutputStream(), name);
    }

    public static QemuInstance start(List<String> args, RuntimeDir dir, String name) {
        ProcessBuilder pb = new ProcessBuilder().redirectError(dir.resolve("qemu.log").toFile());
        pb.environment().clear();
        pb.environment().put("PATH", "/usr/bin:/bin"); // for the exec: URI that saves a snapshot
        Process p = Spawner.start(args, pb);
        dir.writePid("qemu", p.pid());
        return new QemuInstance(p, dir, args, name);
    }

    public Qmp qmp() {
        return qmp;
    }

    public boolean alive() {
        return process.isAlive();
    }

    public long pid() {
        return process.pid();
    }

    /** The last lines QEMU wrote to stderr and the guest to its console, for error messages. */
    public String diagnostics() {
        String err = dir.tail("qemu.log", 1500);
        String console = dir.tail("console.log", 1500);
        return (err.isEmpty() ? "" : "\nQEMU said: " + err) + (console.isEmpty() ? "" : "\nguest console (last lines): " + console)
                + (process.isAlive() ? "" : "\nQEMU exit status: " + process.exitValue());
    }

    /** The command line, for error messages. */
    public String commandLine() {
        return String.join(" ", args);
    }

    /** Waits up to {@code timeout} for QEMU to exit by itself. */
    public boolean awaitExit(Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    public int exitValue() {
        return process.exitValue();
    }

    /** Kills QEMU at once (nothing in the guest needs saving) and waits, bounded, until it is gone. */
    @Override
    public void close() {
        qmp.close();
        process.destroyForcibly();
        if (!awaitExit(Duration.ofSeconds(10))) {
            throw new SandboxStartException("QEMU (pid " + process.pid() + ") did not die within 10 s of SIGKILL");
        }
    }
}
