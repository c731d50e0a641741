package dev.sandbox4j.container.internal;

import dev.sandbox4j.SandboxStartException;
import dev.sandbox4j.spi.HostIds;
import dev.sandbox4j.spi.PinnedPath;
import dev.sandbox4j.spi.SandboxSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Hands the workspace to the sandbox's host ids for the sandbox's life. A container runs as those ids
 * ({@code spec.host().ids()}) and, unlike a user namespace, does not map them to the JVM's user: the
 * core's temporary workspace (mode 0700, the JVM's) would be closed to it. So, when the ids are not the
 * JVM's (a root JVM gives every sandbox a uid of its own), the workspace directory itself is given to them
 * (through the core's pinned descriptor, never by name) and its owner given back at close (a temporary
 * workspace is deleted by the core afterwards; what the sandbox made in a caller's directory is given back
 * by the core's last sweep). What the core's files API makes in it goes to the same ids: a session returns
 * {@link #owner()} as its {@link dev.sandbox4j.spi.BackendSession#filesOwner()}. With an unprivileged JVM
 * the ids are the JVM's own and nothing changes. The engine backends and {@code gvisor-runsc} (whose file
 * proxy checks the host's owner and mode as they are) share it. Thread-safe.
 */
public final class WorkspaceAccess implements AutoCloseable {
    private final PinnedPath workspace;
    private final Optional<int[]> restore;
    private final Optional<HostIds> owner;

    private WorkspaceAccess(PinnedPath workspace, Optional<int[]> restore, Optional<HostIds> owner) {
        this.workspace = workspace;
        this.restore = restore;
        this.owner = owner;
    }

    /** Lets the sandbox's host ids own the workspace of {@code spec} (see the class comment). */
    public static WorkspaceAccess grant(SandboxSpec spec) {
        HostIds ids = spec.host().ids();
        PinnedPath ws = spec.host().workspace();
        try {
            int jvm = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            if (ids.uid() == jvm) {
                return new WorkspaceAccess(ws, Optional.empty(), Optional.empty());
            }
            if (jvm != 0) {
                throw new SandboxStartException("workspace " + ws.path() + ": the sandbox runs as host uid " + ids.uid()
                        + " but this JVM (uid " + jvm + ") cannot hand the workspace to it; fix: run the JVM as root");
            }
            // the magic link of the pinned descriptor: the chown reaches exactly the pinned directory
            Path self = Path.of(ws.procPath());
            int uid = (Integer) Files.getAttribute(self, "unix:uid");
            int gid = (Integer) Files.getAttribute(self, "unix:gid");
            Files.setAttribute(self, "unix:uid", ids.uid());
            Files.setAttribute(self, "unix:gid", ids.gid());
            return new WorkspaceAccess(ws, Optional.of(new int[] {uid, gid}), Optional.of(ids));
        } catch (IOException | UnsupportedOperationException e) {
            throw new SandboxStartException("workspace " + ws.path() + ": cannot hand it to the sandbox's host ids " + ids
                    + " (" + e + "); fix: give a workspace on a local file system that root may chown", e);
        }
    }

    /**
     * The host ids that own the workspace for the sandbox's life, when they are not the JVM's: what the
     * core's files API makes there must be theirs too, or the sandbox could not change it.
     */
    public Optional<HostIds> owner() {
        return owner;
    }

    /** Gives the workspace its owner back. Never throws. */
    @Override
    public void close() {
        restore.ifPresent(ids -> {
            try {
                Path self = Path.of(workspace.procPath());
                Files.setAttribute(self, "unix:uid", ids[0]);
                Files.setAttribute(self, "unix:gid", ids[1]);
            } catch (IOException | RuntimeException e) {
                System.getLogger(WorkspaceAccess.class.getName()).log(System.Logger.Level.WARNING,
                        "cannot give workspace " + workspace.path() + " its owner back: " + e);
            }
        });
    }
}
