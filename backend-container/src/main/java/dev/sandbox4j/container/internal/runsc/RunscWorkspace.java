package dev.sandbox4j.container.internal.runsc;

import dev.sandbox4j.SandboxFiles;
import dev.sandbox4j.SandboxStartException;
import dev.sandbox4j.container.internal.files.OwnedWorkspaceFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Lets the sandbox's uid write its workspace. gVisor's file proxy checks the host's owner and mode as
 * they are (no user namespace maps the uid), so, as for the engine path, a root JVM hands the workspace
 * directory to the sandbox's uid for the sandbox's life and gives it back at close, and the files API
 * hands what it creates to that uid ({@link OwnedWorkspaceFiles}). Thread-safe.
 */
final class RunscWorkspace implements AutoCloseable {
    private final Path workspace;
    private final OptionalInt restoreUid;
    private final OptionalInt restoreGid;
    private final Optional<OwnedWorkspaceFiles> files;

    private RunscWorkspace(Path workspace, OptionalInt restoreUid, OptionalInt restoreGid, Optional<OwnedWorkspaceFiles> files) {
        this.workspace = workspace;
        this.restoreUid = restoreUid;
        this.restoreGid = restoreGid;
        this.files = files;
    }

    static RunscWorkspace grant(Path ws, int uid, String inside) {
        try {
            int jvm = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            if (uid == jvm) {
                return new RunscWorkspace(ws, OptionalInt.empty(), OptionalInt.empty(), Optional.empty());
            }
            int owner = (Integer) Files.getAttribute(ws, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            int group = (Integer) Files.getAttribute(ws, "unix:gid", LinkOption.NOFOLLOW_LINKS);
            if (jvm != 0) {
                if (owner != uid && !Files.getPosixFilePermissions(ws).contains(
                        java.nio.file.attribute.PosixFilePermission.OTHERS_WRITE)) {
                    throw new SandboxStartException("gvisor: workspace " + ws + " belongs to uid " + owner + " and is not"
                            + " writable by others, but the sandbox runs as uid " + uid + " (process.uid) and this JVM (uid "
                            + jvm + ") cannot hand it over; fix: chown " + uid + " " + ws + ", or chmod o+w " + ws
                            + ", or run the sandbox as uid " + jvm);
                }
                return new RunscWorkspace(ws, OptionalInt.empty(), OptionalInt.empty(), Optional.empty());
            }
            OptionalInt restoreUid = OptionalInt.empty();
            OptionalInt restoreGid = OptionalInt.empty();
            if (owner != uid) {
                Files.setAttribute(ws, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
                Files.setAttribute(ws, "unix:gid", uid, LinkOption.NOFOLLOW_LINKS);
                restoreUid = OptionalInt.of(owner);
                restoreGid = OptionalInt.of(group);
            }
            return new RunscWorkspace(ws, restoreUid, restoreGid, Optional.of(new OwnedWorkspaceFiles(ws, inside, uid)));
        } catch (IOException | UnsupportedOperationException e) {
            throw new SandboxStartException("gvisor: workspace " + ws + ": cannot hand it to the sandbox's uid " + uid
                    + " (" + e + "); fix: make it writable for that uid, or run the sandbox as the directory's owner", e);
        }
    }

    Optional<SandboxFiles> files() {
        return files.map(f -> f);
    }

    @Override
    public void close() {
        files.ifPresent(OwnedWorkspaceFiles::close);
        if (restoreUid.isPresent() && Files.isDirectory(workspace, LinkOption.NOFOLLOW_LINKS)) {
            try {
                Files.setAttribute(workspace, "unix:uid", restoreUid.getAsInt(), LinkOption.NOFOLLOW_LINKS);
                Files.setAttribute(workspace, "unix:gid", restoreGid.getAsInt(), LinkOption.NOFOLLOW_LINKS);
            } catch (IOException e) {
                System.getLogger(RunscWorkspace.class.getName()).log(System.Logger.Level.WARNING,
                        "cannot give workspace " + workspace + " its owner back: " + e);
            }
        }
    }
}
