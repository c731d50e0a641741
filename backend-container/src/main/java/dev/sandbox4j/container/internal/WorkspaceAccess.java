package dev.sandbox4j.container.internal;

import dev.sandbox4j.SandboxFiles;
import dev.sandbox4j.SandboxStartException;
import dev.sandbox4j.container.internal.files.OwnedWorkspaceFiles;
import dev.sandbox4j.spi.SandboxSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Lets the sandbox's user write its workspace, a bind mount of a host directory. The container runs as
 * the policy's uid (65534 by default) and, unlike a user namespace, does not map it to the JVM's user: a
 * directory of the JVM's user with mode 0755 would be read-only inside. So, when the JVM may (it is
 * root) and the uid differs, the workspace directory itself is handed to that uid for the sandbox's life
 * (a directory the caller gave gets its owner back at close; files made inside stay the sandbox's), and
 * the files API hands what it creates to that uid too ({@link OwnedWorkspaceFiles}). When the JVM may not
 * and the directory is not writable for the uid, opening fails with the fix. The engine backends and
 * {@code gvisor-runsc} (whose file proxy checks the host's owner and mode as they are) share it. Thread-safe.
 */
public final class WorkspaceAccess implements AutoCloseable {
    private final Path workspace;
    private final OptionalInt restoreUid;
    private final OptionalInt restoreGid;
    private final Optional<OwnedWorkspaceFiles> files;

    private WorkspaceAccess(Path workspace, OptionalInt restoreUid, OptionalInt restoreGid, Optional<OwnedWorkspaceFiles> files) {
        this.workspace = workspace;
        this.restoreUid = restoreUid;
        this.restoreGid = restoreGid;
        this.files = files;
    }

    static WorkspaceAccess grant(SandboxSpec spec, String inside) {
        OptionalInt uid = spec.policy().process().uid();
        return uid.isEmpty()
                ? new WorkspaceAccess(spec.workspace(), OptionalInt.empty(), OptionalInt.empty(), Optional.empty())
                : grant(spec.workspace(), uid.getAsInt(), inside);
    }

    /** Lets {@code uid} write the workspace {@code ws}, shown at {@code inside} (see the class comment). */
    public static WorkspaceAccess grant(Path ws, int uid, String inside) {
        try {
            int jvm = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            if (uid == jvm) {
                return new WorkspaceAccess(ws, OptionalInt.empty(), OptionalInt.empty(), Optional.empty());
            }
            int owner = (Integer) Files.getAttribute(ws, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            int group = (Integer) Files.getAttribute(ws, "unix:gid", LinkOption.NOFOLLOW_LINKS);
            if (jvm != 0) {
                if (owner != uid && !Files.getPosixFilePermissions(ws).contains(
                        java.nio.file.attribute.PosixFilePermission.OTHERS_WRITE)) {
                    throw new SandboxStartException("workspace " + ws + " belongs to uid " + owner + " and is not writable"
                            + " by others, but the sandbox runs as uid " + uid + " (process.uid) and this JVM"
                            + " (uid " + jvm + ") cannot hand it over; fix: chown " + uid + " " + ws
                            + ", or chmod o+w " + ws + ", or run the sandbox as uid " + jvm);
                }
                return new WorkspaceAccess(ws, OptionalInt.empty(), OptionalInt.empty(), Optional.empty());
            }
            OptionalInt restoreUid = OptionalInt.empty();
            OptionalInt restoreGid = OptionalInt.empty();
            if (owner != uid) {
                Files.setAttribute(ws, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
                Files.setAttribute(ws, "unix:gid", uid, LinkOption.NOFOLLOW_LINKS);
                restoreUid = OptionalInt.of(owner);
                restoreGid = OptionalInt.of(group);
            }
            return new WorkspaceAccess(ws, restoreUid, restoreGid, Optional.of(new OwnedWorkspaceFiles(ws, inside, uid)));
        } catch (IOException | UnsupportedOperationException e) {
            throw new SandboxStartException("workspace " + ws + ": cannot hand it to the sandbox's uid " + uid
                    + " (" + e + "); fix: make it writable for that uid, or run the sandbox as the directory's owner", e);
        }
    }

    public Optional<SandboxFiles> files() {
        return files.map(f -> f);
    }

    /** Gives a caller's workspace its owner back (a temp workspace is deleted by the core anyway). */
    @Override
    public void close() {
        files.ifPresent(OwnedWorkspaceFiles::close);
        if (restoreUid.isPresent() && Files.isDirectory(workspace, LinkOption.NOFOLLOW_LINKS)) {
            try {
                Files.setAttribute(workspace, "unix:uid", restoreUid.getAsInt(), LinkOption.NOFOLLOW_LINKS);
                Files.setAttribute(workspace, "unix:gid", restoreGid.getAsInt(), LinkOption.NOFOLLOW_LINKS);
            } catch (IOException e) {
                System.getLogger(WorkspaceAccess.class.getName()).log(System.Logger.Level.WARNING,
                        "cannot give workspace " + workspace + " its owner back: " + e);
            }
        }
    }
}
