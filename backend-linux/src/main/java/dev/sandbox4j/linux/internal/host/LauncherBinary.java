package dev.sandbox4j.linux.internal.host;

import dev.sandbox4j.SandboxStartException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The s4j-launch executable that the build compiled and packed into this jar, extracted on first use to
 * a private cache directory ({@code $XDG_CACHE_HOME/sandbox4j}, else {@code ~/.cache/sandbox4j}, else
 * {@code <java.io.tmpdir>/sandbox4j-<uid>}; each directory we make is 0700 and must be ours) as
 * {@code launcher-<sha256 prefix>/s4j-launch}, mode 0500.
 *
 * <p>Before every use the file is checked against the jar's copy: its SHA-256 when first seen, then its
 * inode, size and change time (which no user can set back), hashing again whenever they moved; a file
 * that no longer matches is replaced. Thread-safe.
 */
public final class LauncherBinary {
    /** Where the build puts the launcher in the jar, per architecture. */
    static final String RESOURCE_DIR = "/dev/sandbox4j/linux/native/";
    static final String NAME = "s4j-launch";

    private static final Set<PosixFilePermission> PRIVATE_DIR = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> EXECUTABLE = PosixFilePermissions.fromString("r-x------");
    private static LauncherBinary instance;

    private final byte[] content;
    private final String sha256;
    private Path path;
    private Object seen; // fileKey, size, ctime of the file when it last hashed right

    private LauncherBinary(byte[] content) {
        this.content = content;
        this.sha256 = sha256(content);
    }

    /** The resource path of this machine's launcher, e.g. {@code /dev/sandbox4j/linux/native/linux-x86_64/s4j-launch}. */
    public static String resource() {
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        String norm = switch (arch) {
            case "amd64", "x86_64" -> "x86_64";
            case "aarch64", "arm64" -> "aarch64";
            default -> arch;
        };
        return RESOURCE_DIR + "linux-" + norm + "/" + NAME;
    }

    /**
     * The launcher of this jar for this machine, verified.
     *
     * @throws SandboxStartException when the jar has no launcher for this architecture or it cannot be
     *                               extracted anywhere, naming what was tried
     */
    public static synchronized Path verifiedPath() {
        if (instance == null) {
            instance = new LauncherBinary(readResource());
        }
        return instance.verified();
    }

    private static byte[] readResource() {
        String res = resource();
        try (InputStream in = LauncherBinary.class.getResourceAsStream(res)) {
            if (in == null) {
                throw new SandboxStartException("this jar holds no s4j-launch launcher for " + System.getProperty("os.name")
                        + "/" + System.getProperty("os.arch") + " (resource " + res + "); build sandbox4j-backend-linux on"
                        + " this architecture (the build compiles it with gcc; the namespaces and bubblewrap backends both need it)");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new SandboxStartException("reading the s4j-launch resource " + res + " failed: " + e, e);
        }
    }

    /** The first 16 hex digits of the launcher's SHA-256, as in its directory name. */
    public static synchronized String sha256Prefix() {
        if (instance == null) {
            instance = new LauncherBinary(readResource());
        }
        return instance.sha256.substring(0, 16);
    }

    private Path verified() {
        if (path != null && matches(path)) {
            return path;
        }
        List<String> tried = new ArrayList<>();
        for (Path base : cacheCandidates()) {
            try {
                Path dir = privateDir(base.resolve("launcher-" + sha256.substring(0, 16)));
                Path file = dir.resolve(NAME);
                if (!matches(file)) {
                    install(dir, file);
                    if (!matches(file)) {
                        throw new IOException("the copy written to " + file + " does not hash to " + sha256);
                    }
                }
                path = file;
                return file;
            } catch (IOException | RuntimeException e) {
                tried.add(base + ": " + e.getMessage());
            }
        }
        throw new SandboxStartException("cannot extract the s4j-launch launcher to a private directory; tried "
                + tried + ". Set XDG_CACHE_HOME to a directory of yours on a file system that allows executables");
    }

    /** True when {@code file} holds exactly the jar's launcher (hashing only when its identity moved). */
    private boolean matches(Path file) {
        try {
            if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                return false;
            }
            Object id = identity(file);
            if (file.equals(path) && id.equals(seen)) {
                return true;
            }
            boolean same = Files.size(file) == content.length && sha256(Files.readAllBytes(file)).equals(sha256);
            if (same && identity(file).equals(id)) {
                path = file;
                seen = id;
                return true;
            }
            return false;
        } catch (IOException e) {
            return false;
        }
    }

    private static Object identity(Path file) throws IOException {
        BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        return List.of(Objects.requireNonNull(a.fileKey(), "file key"), a.size(),
                (FileTime) Files.getAttribute(file, "unix:ctime", LinkOption.NOFOLLOW_LINKS));
    }

    private void install(Path dir, Path file) throws IOException {
        Path tmp = Files.createTempFile(dir, NAME + "-", ".tmp");
        try {
            Files.write(tmp, content);
            Files.setPosixFilePermissions(tmp, EXECUTABLE);
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static List<Path> cacheCandidates() {
        List<Path> out = new ArrayList<>();
        Optional.ofNullable(System.getenv("XDG_CACHE_HOME")).filter(s -> s.startsWith("/"))
                .ifPresent(s -> out.add(Path.of(s, "sandbox4j")));
        Optional.ofNullable(System.getProperty("user.home")).filter(s -> s.startsWith("/"))
                .ifPresent(s -> out.add(Path.of(s, ".cache", "sandbox4j")));
        out.add(Path.of(System.getProperty("java.io.tmpdir"), "sandbox4j-" + HostIds.uid()));
        return out;
    }

    /**
     * Makes {@code dir} (and a missing parent) 0700 and checks that it is a real directory of ours that no
     * one else can write; anything else (a symlink, another owner) is refused, never repaired.
     */
    static Path privateDir(Path dir) throws IOException {
        Path parent = dir.getParent();
        if (parent != null && !Files.exists(parent, LinkOption.NOFOLLOW_LINKS)) {
            privateDir(parent);
        }
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            try {
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PRIVATE_DIR));
                Files.setPosixFilePermissions(dir, PRIVATE_DIR); // createDirectory applies the umask
            } catch (java.nio.file.FileAlreadyExistsException raced) {
                // made by another thread or JVM of ours: checked below like any existing one
            }
        }
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(dir + " is not a directory (a symlink?)");
        }
        int owner = (Integer) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS);
        if (owner != HostIds.uid() || perms.contains(PosixFilePermission.GROUP_WRITE)
                || perms.contains(PosixFilePermission.OTHERS_WRITE)) {
            throw new IOException(dir + " belongs to uid " + owner + " with mode " + PosixFilePermissions.toString(perms)
                    + "; it must be ours (uid " + HostIds.uid() + ") and writable by us alone");
        }
        return dir;
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks SHA-256", e);
        }
    }
}
