package dev.sandbox4j.vm.internal.qemu;

import dev.sandbox4j.SandboxStartException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * One QEMU virtiofsd serving one host directory to one VM. It never runs as root and never writes as root:
 * <ol>
 *   <li>as root, in a private mount namespace: the share's state directory (owned by the sandbox's host uid)
 *       is bound over {@code /var/run/virtiofsd}, where virtiofsd puts its socket and lock file, and a
 *       read-only share is bound read-only onto itself, so that even a guest kernel that ignores its own
 *       {@code ro} flag cannot write (virtiofsd has no read-only mode of its own);</li>
 *   <li>still root, a new user namespace, owned by root (so that no process of the sandbox's host uid may
 *       enter or trace it); the JVM writes its maps from outside: the guest's sandbox uid and gid are the
 *       sandbox's host uid and gid, and nothing else is mapped (guest root included, whose requests
 *       virtiofsd then cannot serve as anyone);</li>
 *   <li>it switches to the guest's sandbox uid inside, that is the sandbox's host uid outside, keeping only
 *       the capabilities virtiofsd needs, valid in that namespace alone (they reach nothing owned by an
 *       unmapped id, such as root's files), and execs virtiofsd.</li>
 * </ol>
 * The directory it serves is the core's private nosuid,nodev bind of the pinned host path (or a system
 * path the backend pinned itself). Tied to the JVM through {@link Spawner}; exits when QEMU disconnects.
 * Stateless.
 */
public final class Virtiofsd {
    public static final Path BINARY = Path.of("/usr/lib/qemu/virtiofsd");
    static final Path BUSYBOX = Path.of("/bin/busybox");
    static final String UNSHARE = "/usr/bin/unshare";
    /** Where QEMU's virtiofsd (built with localstatedir /var) puts its socket lock files. */
    static final Path STATE_DIR = Path.of("/var/run/virtiofsd");
    /** The socket's name in the share's state directory (short: unix socket paths end at 107 bytes). */
    static final String SOCKET = "s";
    /**
     * What virtiofsd keeps for itself (its own capability list), what its namespace sandbox needs (sys_admin
     * for its mount, pid and network namespaces, sys_chroot) and setpcap, without which its own drop of the
     * bounding set fails (and it exits); all valid in its user namespace only. Handed over as ambient
     * capabilities, the only ones an exec as a uid other than the namespace's root keeps.
     */
    static final String CAPS = "-all,+chown,+dac_override,+fowner,+fsetid,+setgid,+setuid,+mknod,+setfcap,+setpcap,+sys_admin,"
            + "+sys_chroot";

    private Virtiofsd() {
    }

    /**
     * A share: {@code source} (the path virtiofsd resolves: the core's engine bind or a pinned system path)
     * served through {@code stateDir}, which holds its socket; {@code cache} is virtiofsd's cache mode.
     */
    public record Share(Path source, Path stateDir, boolean readOnly, String cache) {
        /** Where QEMU connects. */
        public Path socket() {
            return socketIn(stateDir);
        }
    }

    /**
     * Whose files virtiofsd writes: the guest's sandbox user and group ({@code guestUid}, {@code guestGid})
     * are the host's {@code hostUid} and {@code hostGid}, the sandbox's own.
     */
    public record Ids(int guestUid, int guestGid, int hostUid, int hostGid) {
        public Ids {
            if (hostUid == 0 || hostGid == 0) {
                throw new IllegalArgumentException("virtiofsd never serves as host root; got host ids " + hostUid + ":" + hostGid);
            }
        }
    }

    /** The socket of a share whose state directory is {@code stateDir}. */
    public static Path socketIn(Path stateDir) {
        return stateDir.resolve(SOCKET);
    }

    /** How long virtiofsd may take to listen on its socket. */
    public static final Duration LISTEN_TIMEOUT = Duration.ofSeconds(15);

    /**
     * Starts virtiofsd for {@code share} without waiting for it to listen ({@link #awaitListening}), so
     * that several start at once. Makes the share's state directory, owned by the sandbox's host ids.
     */
    public static Process spawn(Share share, Ids ids, RuntimeDir dir, String logName) {
        prepareDirs(share, ids);
        String setup = "\"$0\" mount --bind \"$1\" " + STATE_DIR + " || exit 1; "
                + "if [ \"$2\" = ro ]; then \"$0\" mount --bind \"$3\" \"$3\" && \"$0\" mount -o remount,bind,ro \"$3\" || exit 1; fi; "
                + "shift 3; exec " + UNSHARE + " --user --keep-caps -- /bin/sh -c 'read go || exit 1; exec \"$@\"' sh \"$@\"";
        List<String> argv = new ArrayList<>(List.of(UNSHARE, "--mount", "--propagation", "private", "--", "/bin/sh", "-c", setup,
                BUSYBOX.toString(), share.stateDir().toString(), share.readOnly() ? "ro" : "rw", share.source().toString()));
        argv.addAll(List.of(Spawner.SETPRIV, "--pdeathsig", "KILL", "--reuid", Integer.toString(ids.guestUid()),
                "--regid", Integer.toString(ids.guestGid()), "--clear-groups", "--inh-caps=" + CAPS, "--ambient-caps=" + CAPS,
                "--bounding-set=" + CAPS, "--"));
        argv.addAll(List.of(BINARY.toString(), "--socket-path=" + socketIn(STATE_DIR), "-o", "source=" + share.source(),
                "-o", "cache=" + share.cache(), "-o", "log_level=err", "--rlimit-nofile=0"));
        ProcessBuilder pb = new ProcessBuilder().redirectError(dir.resolve(logName).toFile())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().clear();
        pb.environment().put("PATH", "/usr/bin:/bin");
        Process p = Spawner.start(argv, pb);
        dir.writePid(logName.replace(".log", ""), p.pid());
        try {
            writeMaps(p, ids);
            OutputStream go = p.getOutputStream();
            go.write("go\n".getBytes(StandardCharsets.US_ASCII));
            go.close();
        } catch (IOException e) {
            p.destroyForcibly();
            throw new SandboxStartException("starting virtiofsd for " + share.source() + " failed: " + e
                    + "; it said: " + RuntimeDir.tailOf(dir.resolve(logName), 500), e);
        }
        return p;
    }

    /** The share's state directory (0700, the sandbox's), and the mount point virtiofsd's namespace binds it on. */
    private static void prepareDirs(Share share, Ids ids) {
        try {
            if (!Files.isDirectory(STATE_DIR)) {
                try {
                    Files.createDirectories(STATE_DIR);
                    Files.setPosixFilePermissions(STATE_DIR, PosixFilePermissions.fromString("rwx------"));
                } catch (java.nio.file.FileAlreadyExistsException raced) {
                    // another sandbox made it first
                }
            }
            Files.createDirectory(share.stateDir(), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            Files.setAttribute(share.stateDir(), "unix:gid", ids.hostGid(), LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(share.stateDir(), "unix:uid", ids.hostUid(), LinkOption.NOFOLLOW_LINKS);
        } catch (IOException | UnsupportedOperationException e) {
            throw new SandboxStartException("preparing virtiofsd's directory " + share.stateDir() + " (and its mount point "
                    + STATE_DIR + ") for host uid " + ids.hostUid() + " failed: " + e, e);
        }
    }

    /** The uid and gid maps, written from outside once the wrapper is in its new user namespace. */
    private static void writeMaps(Process p, Ids ids) throws IOException {
        Path ns = Path.of("/proc", Long.toString(p.pid()), "ns", "user");
        String own = Files.readSymbolicLink(Path.of("/proc/self/ns/user")).toString();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            try {
                if (!Files.readSymbolicLink(ns).toString().equals(own)) {
                    break;
                }
            } catch (IOException e) {
                // gone meanwhile: said below
            }
            if (!p.isAlive()) {
                throw new IOException("the virtiofsd wrapper exited (status " + p.exitValue() + ") before entering its user namespace");
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("the virtiofsd wrapper did not enter its user namespace within 10 s");
            }
            // not a spin: on a small host the wrapper needs the CPU this thread would burn
            LockSupport.parkNanos(50_000);
        }
        Path proc = Path.of("/proc", Long.toString(p.pid()));
        Files.writeString(proc.resolve("uid_map"), map(ids.guestUid(), ids.hostUid()));
        Files.writeString(proc.resolve("gid_map"), map(ids.guestGid(), ids.hostGid()));
    }

    /** The one line of a map: {@code inside} is {@code host}, and nothing else is mapped. */
    static String map(int inside, int host) {
        return Integer.toUnsignedString(inside) + " " + Integer.toUnsignedString(host) + " 1\n";
    }

    /** Waits until {@code p} listens on its socket; kills it and throws when it exits or the bound passes. */
    public static void awaitListening(Process p, Share share, Path log, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!Files.exists(share.socket())) {
            if (!p.isAlive()) {
                throw new SandboxStartException("virtiofsd for " + share.source() + " exited (status " + p.exitValue()
                        + ") before it listened: " + RuntimeDir.tailOf(log, 800));
            }
            if (System.nanoTime() > deadline) {
                p.destroyForcibly();
                throw new SandboxStartException("virtiofsd for " + share.source() + " did not listen on " + share.socket()
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
}
