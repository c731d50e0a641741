package dev.sandbox4j.internal.host;

import dev.sandbox4j.DataSize;
import dev.sandbox4j.SandboxStartException;
import dev.sandbox4j.spi.SessionLabels;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The disk storage of an unprivileged JVM, which cannot mount on the host: a process of the library's
 * ({@code unshare --map-root-user --mount}, util-linux) whose own user and mount namespaces hold the
 * size-limited tmpfs, mounted over an empty 0700 directory of the JVM's, {@link #dir()}. The JVM reaches
 * the storage through {@link #root()} ({@code /proc/<pid>/root}); a launcher of the library joins the
 * holder's user and mount namespaces (setns) before it resolves a storage path. The holder reads its
 * stdin, a pipe from this JVM, and exits at EOF: when {@link #close()} closes it, or the JVM dies. Then the
 * tmpfs goes with the last process in its namespace. Thread-safe.
 */
final class StorageHolder implements AutoCloseable {
    /** The kind in the directory's name ({@link SessionLabels#hostName}). */
    static final String KIND = "st";
    private static final long READY_SECONDS = 15;
    /** Where util-linux installs unshare: looked up by absolute path, whatever the JVM's PATH holds. */
    static final List<Path> UNSHARE = List.of(Path.of("/usr/bin/unshare"), Path.of("/bin/unshare"));
    private static final String SCRIPT = "mount -t tmpfs -o \"size=$1,nr_inodes=$3,mode=0711,nosuid,nodev\" sandbox4j-disk \"$0\" || exit 1; "
            + "mkdir -m 0700 \"$0/workspace\" || exit 1; i=0; while [ \"$i\" -lt \"$2\" ]; do mkdir \"$0/tmp$i\""
            + " && chmod 1777 \"$0/tmp$i\" || exit 1; i=$((i+1)); done; echo ready; read _";

    private final Process process;
    private final Path dir;
    private boolean closed;

    private StorageHolder(Process process, Path dir) {
        this.process = process;
        this.dir = dir;
    }

    /**
     * Starts the holder with a {@code size} tmpfs holding {@code workspace} and {@code tmpDirs} directories
     * {@code tmp0...}; waits until it is mounted.
     *
     * @throws SandboxStartException when unshare is missing, user namespaces are refused, or the mount fails
     */
    static StorageHolder start(String sandboxId, DataSize size, int tmpDirs) {
        Path dir;
        try {
            dir = Files.createDirectory(Path.of(System.getProperty("java.io.tmpdir")).toRealPath()
                            .resolve(SessionLabels.hostName(KIND, sandboxId)),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (IOException e) {
            throw new SandboxStartException("making the storage directory for limits.disk in "
                    + System.getProperty("java.io.tmpdir") + " failed: " + e, e);
        }
        Path unshare = UNSHARE.stream().filter(Files::isExecutable).findFirst().orElse(null);
        if (unshare == null) {
            deleteQuietly(dir);
            throw new SandboxStartException("limits.disk=" + size + " with a JVM that is not root needs util-linux's"
                    + " unshare (looked for " + UNSHARE + "): install util-linux, run the JVM as root, or remove the"
                    + " limit (limits(l -> l.noDiskLimit()))");
        }
        ProcessBuilder pb = new ProcessBuilder(List.of(unshare.toString(), "--map-root-user", "--mount", "--propagation", "slave",
                "--", "/bin/sh", "-c", SCRIPT, dir.toString(), Long.toString(size.bytes()), Integer.toString(tmpDirs),
                Long.toString(Staging.inodes(size))))
                .directory(new File("/")).redirectErrorStream(true);
        pb.environment().clear();
        pb.environment().put("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            deleteQuietly(dir);
            throw new SandboxStartException("starting the storage holder for limits.disk (" + unshare + ") failed: " + e
                    + "; remove the limit (limits(l -> l.noDiskLimit())) or run the JVM as root", e);
        }
        StorageHolder h = new StorageHolder(p, dir);
        CompletableFuture<String> line = CompletableFuture.supplyAsync(() -> firstLines(p));
        String out;
        try {
            out = line.get(READY_SECONDS, TimeUnit.SECONDS);
        } catch (Exception e) {
            out = "no answer within " + READY_SECONDS + " s (" + e + ")";
        }
        if (!out.equals("ready")) {
            h.close();
            throw new SandboxStartException("the storage holder for limits.disk=" + size + " failed: " + out.strip()
                    + "; an unprivileged JVM mounts its size-limited storage in a user namespace of its own, so user"
                    + " namespaces must be allowed (sysctl user.max_user_namespaces); else remove the limit"
                    + " (limits(l -> l.noDiskLimit()), the CLI: --disk none)");
        }
        return h;
    }

    private static String firstLines(Process p) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            StringBuilder s = new StringBuilder();
            for (String l; (l = r.readLine()) != null; ) {
                if (l.equals("ready") && s.length() == 0) {
                    return l;
                }
                s.append(l).append(' ');
            }
            return s.length() == 0 ? "it exited (status " + p.waitFor() + ")" : s.toString();
        } catch (IOException | InterruptedException e) {
            return e.toString();
        }
    }

    /** The empty host directory the tmpfs is mounted over, in the holder's mount namespace. */
    Path dir() {
        return dir;
    }

    /** The storage as this JVM reaches it: {@code /proc/<pid>/root<dir>}. */
    Path root() {
        return Path.of("/proc/" + process.pid() + "/root" + dir);
    }

    long pid() {
        return process.pid();
    }

    /**
     * Removes the directories of holders whose JVM is gone (the holder itself ended with its JVM's pipe, and
     * its tmpfs with its namespace): an empty directory each.
     *
     * @return one line per directory removed
     */
    static List<String> reap() {
        List<String> out = new java.util.ArrayList<>();
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        try (var s = Files.newDirectoryStream(tmp, SessionLabels.NAME_PREFIX + KIND + "-*")) {
            for (Path d : s) {
                java.util.Optional<String> session = SessionLabels.sessionOf(d.getFileName().toString());
                if (session.isPresent() && !SessionLabels.ownerAlive(session.get())
                        && Files.isDirectory(d, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    try {
                        Files.delete(d); // empty on the host: the storage was in the holder's namespace
                        out.add("storage directory " + d + " (session " + session.get() + ")");
                    } catch (IOException e) {
                        System.getLogger(StorageHolder.class.getName()).log(System.Logger.Level.WARNING,
                                "removing the leftover storage directory " + d + " failed: " + e);
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            System.getLogger(StorageHolder.class.getName()).log(System.Logger.Level.WARNING,
                    "listing " + tmp + " for leftover storage directories failed: " + e);
        }
        return out;
    }

    /** Ends the holder (closing its stdin) and removes the empty directory. Idempotent; never throws. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            process.getOutputStream().close();
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (IOException e) {
            process.destroyForcibly();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        deleteQuietly(dir);
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            System.getLogger(StorageHolder.class.getName()).log(System.Logger.Level.WARNING,
                    "removing the storage directory " + p + " failed: " + e);
        }
    }
}
