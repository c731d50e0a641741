package dev.sandbox4j.linux.internal.rootfs;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import dev.sandbox4j.SandboxStartException;
import dev.sandbox4j.linux.internal.sys.Errno;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A detached, idmapped clone of a host directory, held as a file descriptor of this JVM: files that the
 * JVM's user owns appear owned by the sandbox's uid and gid through it, and what the sandbox creates lands
 * owned by the JVM's user on the host. This is how a command that runs as an unprivileged uid (65534) can
 * write the workspace that the core made as the JVM's user, without changing a single owner on disk.
 *
 * <p>Made with {@code open_tree(OPEN_TREE_CLONE)} and {@code mount_setattr(MOUNT_ATTR_IDMAP)} against a
 * user namespace whose only mapping is JVM id to sandbox id (made by util-linux {@code unshare --user}, its
 * maps written by this JVM); the {@link RootHolder} attaches it inside the sandbox's private mount namespace by
 * {@code cd /proc/<jvm>/fd/<fd> && mount --move . <dest>}, after which the descriptor is closed. Needs
 * Linux 5.12+ and a file system that supports idmapped mounts (ext4, xfs, btrfs; tmpfs since 6.3).
 *
 * <p>The other side of the mapping: what the sandbox creates is owned by the JVM's user on disk, set-id
 * bits included; {@link WorkspaceGuard} keeps that from reaching other users of the host.
 */
public final class IdmappedMount implements AutoCloseable {
    private final Path source;
    private final int fd;
    private boolean closed;

    private IdmappedMount(Path source, int fd) {
        this.source = source;
        this.fd = fd;
    }

    /** The clone's descriptor in this JVM. */
    public int fd() {
        return fd;
    }

    public Path source() {
        return source;
    }

    /** {@code /proc/<jvm pid>/fd/<fd>}: where another root process of this host reaches the clone. */
    public Path procPath() {
        return Path.of("/proc", Long.toString(ProcessHandle.current().pid()), "fd", Integer.toString(fd));
    }

    /**
     * Clones each directory in {@code sources} with ids mapped JVM user to {@code uid}/{@code gid}.
     *
     * @param unshare util-linux unshare, which makes the mapping user namespace
     * @throws SandboxStartException naming the path and the errno when the kernel or file system refuses
     */
    public static List<IdmappedMount> create(List<Path> sources, int uid, int gid, Path unshare) {
        if (sources.isEmpty()) {
            return List.of();
        }
        java.util.ArrayList<IdmappedMount> made = new java.util.ArrayList<>();
        int userns = usernsFd(uid, gid, unshare);
        try {
            for (Path src : sources) {
                made.add(clone(src, userns));
            }
            return List.copyOf(made);
        } catch (RuntimeException e) {
            made.forEach(IdmappedMount::close);
            throw e;
        } finally {
            MountApi.INSTANCE.close(userns);
        }
    }

    private static IdmappedMount clone(Path src, int userns) {
        MountApi api = MountApi.INSTANCE;
        int fd = (int) api.syscall(MountApi.SYS_open_tree, MountApi.AT_FDCWD, src.toString(),
                MountApi.OPEN_TREE_CLONE | MountApi.OPEN_TREE_CLOEXEC);
        if (fd < 0) {
            throw new SandboxStartException("open_tree(" + src + ", OPEN_TREE_CLONE) failed: " + Errno.last()
                    + "; the kernel needs the new mount API (Linux 5.2+)");
        }
        try (Memory attr = new Memory(MountApi.MOUNT_ATTR_SIZE)) {
            attr.clear();
            attr.setLong(0, MountApi.MOUNT_ATTR_IDMAP | MountApi.MOUNT_ATTR_NOSUID | MountApi.MOUNT_ATTR_NODEV);
            attr.setLong(24, userns);
            long rc = api.syscall(MountApi.SYS_mount_setattr, fd, "", MountApi.AT_EMPTY_PATH, attr,
                    (long) MountApi.MOUNT_ATTR_SIZE);
            if (rc < 0) {
                int errno = Native.getLastError();
                api.close(fd);
                throw new SandboxStartException("mount_setattr(" + src + ", MOUNT_ATTR_IDMAP) failed: "
                        + Errno.describe(errno) + "; the sandbox's uid could not be given write access to it. Idmapped"
                        + " mounts need Linux 5.12+ and a file system that supports them (ext4, xfs, btrfs; tmpfs"
                        + " since 6.3): put the workspace on such a file system (java.io.tmpdir or .workspace(dir))");
            }
        }
        return new IdmappedMount(src, fd);
    }

    /**
     * A user namespace whose only mapping is this JVM's ids (inside) to the sandbox's {@code uid}/{@code gid}
     * (outside), opened as a descriptor. An idmapped mount maps the ids on disk through it: what the JVM's
     * user owns is seen as the sandbox's uid, and what the sandbox's uid creates is stored as the JVM's
     * user. The JVM (root, with CAP_SETUID and CAP_SETGID) writes the maps of an unmapped namespace made by
     * {@code unshare --user}; the helper process exits right after.
     */
    private static int usernsFd(int uid, int gid, Path unshare) {
        ProcessBuilder pb = new ProcessBuilder(unshare.toString(), "--user", "--", "/bin/sh", "-c", "echo ready; read _")
                .redirectErrorStream(true);
        pb.environment().clear();
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new SandboxStartException("starting " + unshare + " to make the idmap user namespace failed: " + e, e);
        }
        try {
            String line = readLine(p.getInputStream());
            if (!line.equals("ready")) {
                throw new SandboxStartException(unshare + " --user failed: " + line
                        + "; user namespaces must be enabled (sysctl user.max_user_namespaces > 0)");
            }
            Path proc = Path.of("/proc", Long.toString(p.pid()));
            int[] own = ownIds();
            try {
                Files.writeString(proc.resolve("uid_map"), own[0] + " " + uid + " 1\n");
                Files.writeString(proc.resolve("gid_map"), own[1] + " " + gid + " 1\n");
            } catch (IOException e) {
                throw new SandboxStartException("writing the idmap (" + own[0] + " -> " + uid + ") of user namespace "
                        + proc + " failed: " + e + "; the JVM needs root (CAP_SETUID, CAP_SETGID)", e);
            }
            String ns = proc.resolve("ns/user").toString();
            int fd = MountApi.INSTANCE.open(ns, MountApi.O_RDONLY | MountApi.O_CLOEXEC);
            if (fd < 0) {
                throw new SandboxStartException("open(" + ns + ") failed: " + Errno.last());
            }
            return fd;
        } finally {
            try {
                p.getOutputStream().close();
                if (!p.waitFor(5, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (IOException e) {
                p.destroyForcibly();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
            }
        }
    }

    /** This JVM's uid and gid. */
    private static int[] ownIds() {
        try {
            return new int[] {(Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid"),
                (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:gid")};
        } catch (IOException | RuntimeException e) {
            throw new SandboxStartException("cannot read this JVM's uid and gid from /proc/self: " + e, e);
        }
    }

    private static String readLine(InputStream in) {
        StringBuilder b = new StringBuilder();
        try {
            for (int c = in.read(); c >= 0 && c != '\n' && b.length() < 4096; c = in.read()) {
                b.append((char) c);
            }
        } catch (IOException e) {
            return "(no output: " + e.getMessage() + ")";
        }
        return new String(b.toString().getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
    }

    /** Closes the descriptor: once attached inside the sandbox, the mount lives on there. Idempotent. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            MountApi.INSTANCE.close(fd);
        }
    }
}
