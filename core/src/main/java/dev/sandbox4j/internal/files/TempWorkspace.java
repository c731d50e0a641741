package dev.sandbox4j.internal.files;

import dev.sandbox4j.SandboxStartException;
import dev.sandbox4j.spi.SessionLabels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The private workspace a sandbox gets when the caller gives none: {@code <java.io.tmpdir>/sandbox4j-ws-
 * <session>--<sandboxId>}, so that the reaper can tell whose it is. Mode 0700, owned by the JVM's user: no
 * other host user can read it or run what a sandbox leaves in it. A backend whose sandbox reaches it as
 * another host uid (an engine's container, a VM's file server) hands it to that uid itself; one that
 * idmaps it needs nothing.
 */
public final class TempWorkspace {
    /** The {@code kind} in {@link SessionLabels#hostName(String, String)}. */
    public static final String KIND = "ws";

    private TempWorkspace() {
    }

    /** The directory temp workspaces are made in (real path, so backends see no symlink). */
    public static Path baseDir() throws IOException {
        return Path.of(System.getProperty("java.io.tmpdir")).toRealPath();
    }

    public static Path create(String sandboxId) {
        try {
            Path ws = baseDir().resolve(SessionLabels.hostName(KIND, sandboxId));
            Files.createDirectory(ws, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            // createDirectory applies the umask; the mode must not depend on it
            Files.setPosixFilePermissions(ws, PosixFilePermissions.fromString("rwx------"));
            return ws;
        } catch (IOException | UnsupportedOperationException e) {
            throw new SandboxStartException("workspace: cannot make a temp directory in " + System.getProperty("java.io.tmpdir")
                    + " (" + e + "); check that it exists and is writable, or give .workspace(dir)", e);
        }
    }

    /**
     * Deletes a workspace and all in it without following any symlink inside (entries are removed
     * through open directories; a symlink is removed, never followed). A workspace that is itself a
     * symlink now is refused, not followed.
     */
    public static void delete(Path ws) throws IOException {
        if (!Files.exists(ws, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (!Files.isDirectory(ws, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException("workspace " + ws + " is no longer a directory (a symlink?); not following it");
        }
        SecureTree tree = new SecureTree(ws);
        try (SecureDirectoryStream<Path> root = tree.openRoot()) {
            for (String name : tree.names(root)) {
                tree.delete(root, name);
            }
        }
        Files.deleteIfExists(ws);
    }
}
