package dev.sandbox4j.internal.files;

import static dev.sandbox4j.FileAccessException.Reason.IS_A_DIRECTORY;
import static dev.sandbox4j.FileAccessException.Reason.REFUSED;
import static dev.sandbox4j.FileAccessException.Reason.TOO_LARGE;

import dev.sandbox4j.DataSize;
import dev.sandbox4j.FileAccessException;
import dev.sandbox4j.FileEntry;
import dev.sandbox4j.SandboxFiles;
import dev.sandbox4j.spi.HostIds;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The files API over a workspace that is a host directory shared into the sandbox (the default for
 * every backend without its own files API). Paths are checked by {@link WorkspacePath}; every access
 * goes through {@link SecureTree}, which opens each component without following symlinks, so sandboxed
 * code that swaps a directory for a symlink while we work cannot make us touch anything outside.
 *
 * <p>Residual risk: {@link #read} opens a regular file after checking it; a fifo swapped in at that
 * instant makes the open block until something writes to it. Thread-safe (no mutable state).
 */
public final class WorkspaceFiles implements SandboxFiles {
    private final SecureTree tree;
    private final String sandboxRoot;

    /**
     * @param hostWorkspace the workspace directory on the host
     * @param sandboxRoot   where it appears inside the sandbox ({@code /workspace}); absolute paths under it
     *                      are accepted
     */
    public WorkspaceFiles(Path hostWorkspace, String sandboxRoot) {
        this(hostWorkspace, sandboxRoot, Optional.empty());
    }

    /**
     * @param owner when present, the host ids that get every entry this API makes (a sandbox that reaches
     *              the workspace as its own host ids, not through an idmap)
     * @throws FileAccessException when the ids cannot be turned into principals
     */
    public WorkspaceFiles(Path hostWorkspace, String sandboxRoot, Optional<HostIds> owner) {
        Path root = hostWorkspace.toAbsolutePath().normalize();
        this.tree = new SecureTree(root, owner.map(ids -> principals(root, ids)));
        this.sandboxRoot = sandboxRoot;
    }

    private static SecureTree.Owner principals(Path root, HostIds ids) {
        try {
            var lookup = root.getFileSystem().getUserPrincipalLookupService();
            // a number is taken as the id itself: the sandbox's uid has no passwd entry
            return new SecureTree.Owner(lookup.lookupPrincipalByName(Integer.toUnsignedString(ids.uid())),
                    lookup.lookupPrincipalByGroupName(Integer.toUnsignedString(ids.gid())));
        } catch (IOException e) {
            throw new FileAccessException("files of workspace " + root + ": host ids " + ids + " cannot be used as an"
                    + " owner (" + e + ")", e);
        }
    }

    private WorkspacePath parse(String op, String path) {
        return WorkspacePath.parse(op, path, sandboxRoot);
    }

    @Override
    public void write(String path, byte[] content) {
        WorkspacePath p = parse("write", path);
        if (content == null) {
            throw new FileAccessException(REFUSED, "write '" + path + "': no content given; give an empty array for an empty file");
        }
        if (p.isRoot()) {
            throw new FileAccessException(IS_A_DIRECTORY, "write '" + path + "': that is the workspace directory itself; give a file path");
        }
        try (SecureDirectoryStream<Path> dir = tree.openDir(p.parent(), true)) {
            tree.writeFile(dir, p.name(), new ByteArrayInputStream(content), Optional.empty());
        } catch (IOException | RuntimeException e) {
            throw FileErrors.of("write", path, e);
        }
    }

    @Override
    public byte[] read(String path, DataSize limit) {
        WorkspacePath p = parse("read", path);
        if (limit == null) {
            throw new FileAccessException(REFUSED, "read '" + path + "': no limit given; use read(path) for up to 64m");
        }
        if (p.isRoot()) {
            throw new FileAccessException(IS_A_DIRECTORY, "read '" + path + "': that is the workspace directory; use list()");
        }
        try (SecureDirectoryStream<Path> dir = tree.openDir(p.parent(), false);
             SeekableByteChannel ch = tree.openFile(dir, p.name(), String.join("/", p.segments()))) {
            long max = Math.min(limit.bytes(), Integer.MAX_VALUE - 64L);
            long size = ch.size();
            if (size > max) {
                throw tooBig(path, size, limit);
            }
            byte[] data = new byte[(int) size];
            int filled = 0;
            while (true) {
                if (filled == data.length) {
                    // the file may still grow while we read it: never past the limit
                    if (filled >= max) {
                        ByteBuffer probe = ByteBuffer.allocate(1);
                        if (ch.read(probe) > 0) {
                            throw tooBig(path, ch.size(), limit);
                        }
                        break;
                    }
                    data = Arrays.copyOf(data, (int) Math.min(max, Math.max(8192L, 2L * data.length)));
                }
                int n = ch.read(ByteBuffer.wrap(data, filled, data.length - filled));
                if (n < 0) {
                    break;
                }
                filled += n;
            }
            return filled == data.length ? data : Arrays.copyOf(data, filled);
        } catch (IOException | RuntimeException e) {
            throw FileErrors.of("read", path, e);
        }
    }

    private static FileAccessException tooBig(String path, long size, DataSize limit) {
        return new FileAccessException(TOO_LARGE, "read '" + path + "': the file is " + size + " bytes, more than the limit of "
                + limit + " (" + limit.bytes() + " bytes); pass a larger limit to read(path, limit)");
    }

    @Override
    public List<FileEntry> list(String path) {
        WorkspacePath p = parse("list", path);
        try (SecureDirectoryStream<Path> dir = tree.openDir(p.segments(), false)) {
            List<FileEntry> out = new ArrayList<>();
            for (String name : tree.names(dir)) {
                Optional<PosixFileAttributes> a = tree.attrs(dir, name);
                if (a.isEmpty()) {
                    continue;
                }
                PosixFileAttributes x = a.get();
                FileEntry.Type type = x.isSymbolicLink() ? FileEntry.Type.SYMLINK : x.isDirectory() ? FileEntry.Type.DIRECTORY
                        : x.isRegularFile() ? FileEntry.Type.FILE : FileEntry.Type.OTHER;
                out.add(new FileEntry(name, type, type == FileEntry.Type.DIRECTORY ? 0 : x.size(),
                        x.lastModifiedTime().toInstant()));
            }
            out.sort(Comparator.comparing(FileEntry::name));
            return out;
        } catch (IOException | RuntimeException e) {
            throw FileErrors.of("list", path, e);
        }
    }

    @Override
    public boolean exists(String path) {
        WorkspacePath p = parse("exists", path);
        if (p.isRoot()) {
            return true;
        }
        try (SecureDirectoryStream<Path> dir = tree.openDir(p.parent(), false)) {
            return tree.attrs(dir, p.name()).isPresent();
        } catch (NoSuchFileException | NotDirectoryException e) {
            return false;
        } catch (IOException | RuntimeException e) {
            throw FileErrors.of("exists", path, e);
        }
    }

    @Override
    public void delete(String path) {
        delete("delete", path, true);
    }

    @Override
    public void deleteEmpty(String path) {
        delete("deleteEmpty", path, false);
    }

    private void delete(String op, String path, boolean recursive) {
        WorkspacePath p = parse(op, path);
        if (p.isRoot()) {
            throw new FileAccessException(REFUSED, op + " '" + path + "': that is the workspace itself; delete its entries instead");
        }
        try (SecureDirectoryStream<Path> dir = tree.openDir(p.parent(), false)) {
            Optional<PosixFileAttributes> a = tree.attrs(dir, p.name());
            if (a.isEmpty()) {
                throw new NoSuchFileException(String.join("/", p.segments()));
            }
            if (recursive) {
                tree.delete(dir, p.name());
            } else if (a.get().isDirectory()) {
                // unlinkat(AT_REMOVEDIR) removes only an empty directory (ENOTEMPTY otherwise), in one step:
                // nothing a command adds meanwhile can be lost
                dir.deleteDirectory(tree.p(p.name()));
            } else {
                dir.deleteFile(tree.p(p.name()));
            }
        } catch (IOException | RuntimeException e) {
            throw FileErrors.of(op, path, e);
        }
    }

    @Override
    public void mkdirs(String path) {
        WorkspacePath p = parse("mkdirs", path);
        try {
            tree.openDir(p.segments(), true).close();
        } catch (IOException | RuntimeException e) {
            throw FileErrors.of("mkdirs", path, e);
        }
    }

    @Override
    public void tarIn(InputStream tar, String path) {
        WorkspacePath p = parse("tarIn", path);
        if (tar == null) {
            throw new FileAccessException(REFUSED, "tarIn '" + path + "': no tar stream given");
        }
        try {
            new TarImport(tree, p).unpack(tar);
        } catch (IOException | RuntimeException e) {
            throw FileErrors.of("tarIn", path, e);
        }
    }

    @Override
    public void tarOut(String path, OutputStream tar) {
        WorkspacePath p = parse("tarOut", path);
        if (tar == null) {
            throw new FileAccessException(REFUSED, "tarOut '" + path + "': no output stream given");
        }
        try {
            new TarExport(tree).pack(p.segments(), tar);
        } catch (IOException | RuntimeException e) {
            throw FileErrors.of("tarOut", path, e);
        }
    }

    @Override
    public void copyIn(Path hostDirectory, String path) {
        WorkspacePath p = parse("copyIn", path);
        if (hostDirectory == null) {
            throw new FileAccessException(REFUSED, "copyIn '" + path + "': no host directory given");
        }
        try {
            new HostCopy(tree).copyIn(hostDirectory, p.segments());
        } catch (IOException | RuntimeException e) {
            throw FileErrors.of("copyIn", path, e);
        }
    }

    @Override
    public void copyOut(String path, Path hostDirectory) {
        WorkspacePath p = parse("copyOut", path);
        if (hostDirectory == null) {
            throw new FileAccessException(REFUSED, "copyOut '" + path + "': no host directory given");
        }
        try {
            new HostCopy(tree).copyOut(p.segments(), hostDirectory);
        } catch (IOException | RuntimeException e) {
            throw FileErrors.of("copyOut", path, e);
        }
    }
}
