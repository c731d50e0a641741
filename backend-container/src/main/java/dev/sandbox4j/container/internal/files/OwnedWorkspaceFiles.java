package dev.sandbox4j.container.internal.files;

import dev.sandbox4j.DataSize;
import dev.sandbox4j.FileAccessException;
import dev.sandbox4j.FileEntry;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.SandboxFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.GroupPrincipal;
import java.util.ArrayList;
import java.util.List;

/**
 * The workspace's files for a container whose user is not the JVM's: the core's own host-side files API
 * (reached through a {@code none} sandbox on the same directory: it refuses {@code ..}, absolute paths
 * outside the workspace and symlinks, and never follows one), plus one step the core does not take:
 * what it creates is handed to the sandbox's host ids, so that the sandboxed user (a host uid of the
 * sandbox's own, which the container does not map to the JVM's user as a user namespace would) can change
 * what the caller put there. The hand-over walks from the workspace root through directories opened without following
 * symlinks and changes the owner of entries only (lchown semantics), so a symlink the sandbox plants
 * cannot redirect it to a host file. Thread-safe.
 */
public final class OwnedWorkspaceFiles implements SandboxFiles, AutoCloseable {
    private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;

    private final Path root;
    private final String inside;
    private final UserPrincipal jvmOwner;
    private final UserPrincipal owner;
    private final GroupPrincipal group;
    /** The {@code none} sandbox behind the files API, made on first use: most sandboxes never touch files. */
    private Sandbox host;
    private boolean closed;

    /** Files of {@code workspace} (seen inside at {@code inside}) handed to {@code uid:gid}. */
    public OwnedWorkspaceFiles(Path workspace, String inside, int uid, int gid) {
        try {
            this.root = workspace;
            this.inside = inside;
            var lookup = workspace.getFileSystem().getUserPrincipalLookupService();
            this.jvmOwner = lookup.lookupPrincipalByName(Files.getAttribute(Path.of("/proc/self"), "unix:uid").toString());
            this.owner = lookup.lookupPrincipalByName(Integer.toString(uid));
            this.group = lookup.lookupPrincipalByGroupName(Integer.toString(gid));
        } catch (IOException e) {
            throw new FileAccessException("workspace " + workspace + ": cannot prepare files for uid " + uid + ": " + e, e);
        }
    }

    /** The core's files API on the workspace, through a {@code none} sandbox made on the first call. */
    private synchronized Sandbox host() {
        if (closed) {
            throw new FileAccessException("the sandbox of workspace " + root + " is closed; open a new sandbox");
        }
        if (host == null) {
            host = Sandbox.builder().backend("none").policy(IsolationPolicy.permissive()).workspace(root).build();
        }
        return host;
    }

    private SandboxFiles delegate() {
        return host().files();
    }

    /** The core's path for ours: relative stays relative; absolute must be under the inside workspace path. */
    private String map(String path) {
        if (path == null || !path.startsWith("/")) {
            return path;
        }
        if (path.equals(inside)) {
            return host().workspacePath();
        }
        if (path.startsWith(inside + "/")) {
            return path.substring(inside.length() + 1);
        }
        throw new FileAccessException("'" + path + "' is outside the workspace; give a path relative to it or"
                + " absolute under " + inside);
    }

    private String relative(String path) {
        String m = map(path);
        return m.equals(host().workspacePath()) ? "" : m;
    }

    @Override
    public void write(String path, byte[] content) {
        delegate().write(map(path), content);
        handOver(relative(path), false);
    }

    @Override
    public byte[] read(String path, DataSize limit) {
        return delegate().read(map(path), limit);
    }

    @Override
    public List<FileEntry> list(String path) {
        return delegate().list(map(path));
    }

    @Override
    public boolean exists(String path) {
        return delegate().exists(map(path));
    }

    @Override
    public void delete(String path) {
        delegate().delete(map(path));
    }

    @Override
    public void mkdirs(String path) {
        delegate().mkdirs(map(path));
        handOver(relative(path), false);
    }

    @Override
    public void tarIn(InputStream tar, String path) {
        delegate().tarIn(tar, map(path));
        handOver(relative(path), true);
    }

    @Override
    public void tarOut(String path, OutputStream tar) {
        delegate().tarOut(map(path), tar);
    }

    @Override
    public void copyIn(Path hostDirectory, String path) {
        delegate().copyIn(hostDirectory, map(path));
        handOver(relative(path), true);
    }

    @Override
    public void copyOut(String path, Path hostDirectory) {
        delegate().copyOut(map(path), hostDirectory);
    }

    @Override
    public void close() {
        Sandbox made;
        synchronized (this) {
            closed = true;
            made = host;
            host = null;
        }
        if (made != null) {
            made.close();
        }
    }

    /** Hands every JVM-owned entry on the way to {@code rel} (and, with {@code subtree}, below it) to the sandbox's uid. */
    private void handOver(String rel, boolean subtree) {
        List<String> parts = new ArrayList<>();
        for (String s : rel.split("/")) {
            if (!s.isEmpty()) {
                parts.add(s);
            }
        }
        try (DirectoryStream<Path> rootStream = Files.newDirectoryStream(root)) {
            if (!(rootStream instanceof SecureDirectoryStream<Path> dir)) {
                throw new FileAccessException("this file system gives no secure directory streams; cannot hand files"
                        + " in " + root + " to the sandbox's user safely");
            }
            handOver(dir, parts, 0, subtree);
        } catch (IOException e) {
            throw new FileAccessException("workspace " + root + ": cannot hand '" + rel + "' to the sandbox's user: " + e, e);
        }
    }

    private void handOver(SecureDirectoryStream<Path> dir, List<String> parts, int i, boolean subtree) throws IOException {
        if (i == parts.size()) {
            if (subtree) {
                handOverAll(dir, 0);
            }
            return;
        }
        Path name = root.getFileSystem().getPath(parts.get(i));
        PosixFileAttributes a = fix(dir, name);
        if (a != null && a.isDirectory() && (i + 1 < parts.size() || subtree)) {
            try (SecureDirectoryStream<Path> child = dir.newDirectoryStream(name, NOFOLLOW)) {
                handOver(child, parts, i + 1, subtree);
            }
        }
    }

    private void handOverAll(SecureDirectoryStream<Path> dir, int depth) throws IOException {
        if (depth > 256) {
            return;
        }
        List<Path> names = new ArrayList<>();
        for (Path p : dir) {
            names.add(p.getFileName());
        }
        for (Path name : names) {
            PosixFileAttributes a = fix(dir, name);
            if (a != null && a.isDirectory()) {
                try (SecureDirectoryStream<Path> child = dir.newDirectoryStream(name, NOFOLLOW)) {
                    handOverAll(child, depth + 1);
                }
            }
        }
    }

    /**
     * Gives {@code name} to the sandbox's user when the JVM's user owns it. A symlink is left as it is:
     * its owner grants nothing (the sandbox may still replace it, its directory being the sandbox's), and
     * changing it would need a path-based lchown, which a swapped parent directory could redirect.
     */
    private PosixFileAttributes fix(SecureDirectoryStream<Path> dir, Path name) throws IOException {
        BasicFileAttributes basic;
        try {
            basic = dir.getFileAttributeView(name, BasicFileAttributeView.class, NOFOLLOW).readAttributes();
        } catch (java.nio.file.NoSuchFileException gone) {
            return null;
        }
        if (basic.isSymbolicLink() || !(basic.isDirectory() || basic.isRegularFile())) {
            return null;
        }
        // opened without following: if the entry was swapped for a symlink meanwhile, this fails (ELOOP)
        PosixFileAttributeView view = dir.getFileAttributeView(name, PosixFileAttributeView.class, NOFOLLOW);
        PosixFileAttributes a = view.readAttributes();
        if (a.owner().equals(jvmOwner)) {
            view.setOwner(owner);
            view.setGroup(group);
        }
        return a;
    }
}
