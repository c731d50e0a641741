package dev.sandbox4j.vm.internal.qemu;

import dev.sandbox4j.SandboxStartException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * One QEMU virtiofsd serving one host directory to one VM, started in the way its share needs:
 * <ul>
 *   <li>read-only: in a private mount namespace where the directory is bind-mounted read-only, so that
 *       even a guest kernel that ignores its own {@code ro} flag cannot write (virtiofsd has no read-only
 *       mode of its own);</li>
 *   <li>read-write for a sandbox uid other than 0: in a user namespace whose uid {@code sandboxUid} is the
 *       JVM's user and every other uid n is {@link #UID_BASE} + n on the host, so that files the sandboxed
 *       user writes belong to the JVM's user (as with the other backends), and guest root maps to an
 *       unprivileged host uid, never to host root;</li>
 *   <li>read-write for uid 0: plainly.</li>
 * </ul>
 * Every variant is tied to the JVM through {@link Spawner} and exits when QEMU disconnects. Stateless.
 */
public final class Virtiofsd {
    public static final Path BINARY = Path.of("/usr/lib/qemu/virtiofsd");
    static final Path BUSYBOX = Path.of("/bin/busybox");
    /** Host uid (and gid) of guest uid 0 on a writable share: high, so that no host user has it. */
    public static final long UID_BASE = 0x70000000L;
    /** Where QEMU's virtiofsd leaves a lock file per socket path. */
    static final Path PID_DIR = Path.of("/var/run/virtiofsd");

    private Virtiofsd() {
    }

    /** A share: {@code hostPath} served on {@code socket}; {@code cache} is virtiofsd's cache mode. */
    public record Share(Path hostPath, Path socket, boolean readOnly, String cache) {
    }

    /** Starts virtiofsd for {@code share} and waits until it listens. */
    public static Process start(Share share, int sandboxUid, RuntimeDir dir, String logName) {
        Process p = spawn(share, sandboxUid, dir, logName);
        awaitListening(p, share, dir.resolve(logName), LISTEN_TIMEOUT);
        return p;
    }

    /** How long virtiofsd may take to listen on its socket. */
    public static final Duration LISTEN_TIMEOUT = Duration.ofSeconds(15);

    /**
     * Starts virtiofsd for {@code share} without waiting for it to listen ({@link #awaitListening}), so
     * that several start at once.
     */
    public static Process spawn(Share share, int sandboxUid, RuntimeDir dir, String logName) {
        List<String> daemon = List.of(BINARY.toString(), "--socket-path=" + share.socket(), "-o", "source=" + share.hostPath(),
                "-o", "cache=" + share.cache(), "-o", "log_level=err", "--rlimit-nofile=0");
        ProcessBuilder pb = new ProcessBuilder().redirectError(dir.resolve(logName).toFile())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().clear();
        pb.environment().put("PATH", "/usr/bin:/bin");
        Process p;
        if (share.readOnly() || sandboxUid != 0) {
            String script = "read go || exit 1; "
                    + (share.readOnly() ? "\"$0\" mount --bind \"$1\" \"$1\" && \"$0\" mount -o remount,bind,ro \"$1\" || exit 1; " : "")
                    + "shift; exec \"$@\"";
            List<String> argv = new ArrayList<>(List.of("/usr/bin/unshare"));
            argv.addAll(share.readOnly() ? List.of("--mount", "--propagation", "private") : List.of("--user", "--mount", "--propagation", "private"));
            argv.addAll(List.of("--", "/bin/sh", "-c", script, BUSYBOX.toString(), share.hostPath().toString()));
            argv.addAll(daemon);
            // read-only shares need no uid mapping (nothing is created through them), writable ones do
            boolean userns = !share.readOnly();
            List<String> creds = userns ? List.of("--reuid", Long.toString(UID_BASE), "--regid", Long.toString(UID_BASE),
                    "--clear-groups") : List.of();
            p = Spawner.start(creds, argv, pb);
            dir.writePid(logName.replace(".log", ""), p.pid());
            try {
                if (userns) {
                    writeMaps(p, sandboxUid);
                }
                OutputStream go = p.getOutputStream();
                go.write("go\n".getBytes(StandardCharsets.US_ASCII));
                go.close();
            } catch (IOException e) {
                p.destroyForcibly();
                throw new SandboxStartException("starting virtiofsd for " + share.hostPath() + " failed: " + e
                        + RuntimeDir.tailOf(dir.resolve(logName), 500), e);
            }
        } else {
            p = Spawner.start(daemon, pb.redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())));
            dir.writePid(logName.replace(".log", ""), p.pid());
        }
        return p;
    }

    /** The uid and gid maps, written from outside once the wrapper is in its new user namespace. */
    private static void writeMaps(Process p, int uid) throws IOException {
        Path ns = Path.of("/proc", Long.toString(p.pid()), "ns", "user");
        String own = Files.readSymbolicLink(Path.of("/proc/self/ns/user")).toString();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            try {
                if (!Files.readSymbolicLink(ns).toString().equals(own)) {
                    break;
                }
            } catch (IOException e) {
                if (!p.isAlive()) {
                    throw new IOException("the virtiofsd wrapper exited before entering its user namespace");
                }
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("the virtiofsd wrapper did not enter its user namespace within 10 s");
            }
            // not a spin: on a small host the wrapper needs the CPU this thread would burn
            LockSupport.parkNanos(50_000);
        }
        long jvmUid = ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).longValue();
        long jvmGid = ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:gid")).longValue();
        Path proc = Path.of("/proc", Long.toString(p.pid()));
        Files.writeString(proc.resolve("uid_map"), map(uid, jvmUid));
        Files.writeString(proc.resolve("gid_map"), map(uid, jvmGid));
    }

    /** uid n is UID_BASE + n, except {@code sandbox}, which is {@code host}. */
    static String map(int sandbox, long host) {
        StringBuilder m = new StringBuilder();
        if (sandbox > 0) {
            m.append("0 ").append(UID_BASE).append(' ').append(sandbox).append('\n');
        }
        m.append(sandbox).append(' ').append(host).append(" 1\n");
        if (sandbox < 65535) {
            m.append(sandbox + 1).append(' ').append(UID_BASE + sandbox + 1).append(' ').append(65535 - sandbox).append('\n');
        }
        return m.toString();
    }

    /** Waits until {@code p} listens on its socket; kills it and throws when it exits or the bound passes. */
    public static void awaitListening(Process p, Share share, Path log, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!Files.exists(share.socket())) {
            if (!p.isAlive()) {
                throw new SandboxStartException("virtiofsd for " + share.hostPath() + " exited (status " + p.exitValue()
                        + ") before it listened: " + RuntimeDir.tailOf(log, 800));
            }
            if (System.nanoTime() > deadline) {
                p.destroyForcibly();
                throw new SandboxStartException("virtiofsd for " + share.hostPath() + " did not listen on " + share.socket()
                        + " within " + timeout + ": " + RuntimeDir.tailOf(log, 800));
            }
            LockSupport.parkNanos(500_000);
            if (Thread.interrupted()) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
                throw new SandboxStartException("interrupted while starting virtiofsd");
            }
        }
    }

    /** The lock file virtiofsd leaves in /var/run/virtiofsd for a socket path; removed on close. */
    public static Path lockFile(Path socket) {
        return PID_DIR.resolve(socket.toString().replace('/', '.') + ".pid");
    }
}
