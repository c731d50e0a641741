package dev.sandbox4j.linux.internal.bwrap;

import dev.sandbox4j.SandboxException;
import dev.sandbox4j.linux.internal.host.HostIds;
import dev.sandbox4j.linux.internal.host.LauncherBinary;
import dev.sandbox4j.linux.internal.host.UserNamespaces;
import dev.sandbox4j.spi.Availability;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The bwrap executable the bubblewrap backend runs, found on a search path, and whether it works here
 * through the backend's launcher. Immutable and thread-safe.
 *
 * @param bwrap    the bwrap executable, if found
 * @param searched what was searched, for messages
 */
public record BwrapTool(Optional<Path> bwrap, String searched) {

    private static final long PROBE_TIMEOUT_MILLIS = 5_000;

    /** Finds bwrap on {@code path} (a PATH-style list); {@code bwrapOverride} wins when given. */
    public static BwrapTool find(String path, Optional<String> bwrapOverride) {
        Optional<Path> bwrap = bwrapOverride.map(Path::of).filter(Files::isExecutable);
        if (bwrapOverride.isEmpty()) {
            bwrap = which("bwrap", path);
        }
        return new BwrapTool(bwrap, bwrapOverride.map(o -> "bwrap at " + o).orElse("bwrap on PATH=" + path));
    }

    static Optional<Path> which(String name, String path) {
        for (String dir : (path == null ? "" : path).split(":")) {
            if (!dir.isEmpty()) {
                Path p = Path.of(dir, name);
                if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                    return Optional.of(p);
                }
            }
        }
        return Optional.empty();
    }

    /**
     * Runs {@code bwrap --version} and a smallest sandbox ({@code --ro-bind / / --unshare-user --unshare-pid
     * true}) through the launcher, as the host's nobody when the JVM is root (as every sandbox that names
     * its uid runs), with a timeout. Never throws.
     *
     * @return available with the version, or why not and the fix
     */
    public Availability probe() {
        if (bwrap.isEmpty()) {
            return Availability.unavailable("bwrap not found (" + searched + ")",
                    "apt-get install bubblewrap (Debian/Ubuntu), dnf install bubblewrap (Fedora)");
        }
        Optional<String> version = run(List.of(bwrap.get().toString(), "--version"))
                .filter(r -> r.code == 0).map(r -> r.output.trim().replaceFirst("^bubblewrap\\s+", ""));
        if (version.isEmpty()) {
            return Availability.unavailable(bwrap.get() + " --version failed", "reinstall bubblewrap");
        }
        BwrapFeatures f = BwrapFeatures.of(version.get());
        if (!f.supported()) {
            return Availability.unavailable("bubblewrap " + version.get() + " is older than " + BwrapFeatures.MINIMUM,
                    "install bubblewrap " + BwrapFeatures.MINIMUM + " or newer");
        }
        Path launcher;
        try {
            launcher = LauncherBinary.verifiedPath();
        } catch (SandboxException e) {
            return Availability.unavailable("the launcher s4j-launch is not usable: " + e.getMessage(),
                    "build sandbox4j-backend-linux on this architecture, or set XDG_CACHE_HOME to a directory that allows executables");
        }
        Optional<Result> trial = trial(launcher);
        if (trial.isEmpty() || trial.get().code != 0) {
            String why = trial.map(r -> "exit " + r.code + ": " + r.output.trim()).orElse("no answer within "
                    + PROBE_TIMEOUT_MILLIS + " ms");
            return Availability.unavailable("bwrap cannot make a user and pid namespace here" + (HostIds.root()
                    ? " as the host's uid " + HostIds.SANDBOX_HOST_UID : "") + " (" + why + ")", UserNamespaces.fix(true));
        }
        return Availability.available("bubblewrap " + version.get() + " at " + bwrap.get() + (HostIds.root()
                ? "; sandboxes that name their uid run as the host's uid " + HostIds.SANDBOX_HOST_UID + " (workspace idmapped)" : ""));
    }

    /**
     * The features of this bwrap (its version), asked once per binary: {@code bwrap --version} is a process
     * start, a noticeable part of opening a sandbox. A replaced binary (another inode or change time) is asked again.
     */
    public BwrapFeatures features() {
        if (bwrap.isEmpty()) {
            return BwrapFeatures.of("0");
        }
        Path b = bwrap.get();
        Object identity = identity(b);
        KnownFeatures known = FEATURES.get(b);
        if (known != null && identity != null && identity.equals(known.identity())) {
            return known.features();
        }
        BwrapFeatures f = run(List.of(b.toString(), "--version"))
                .map(r -> BwrapFeatures.of(r.output.trim().replaceFirst("^bubblewrap\\s+", "")))
                .orElse(BwrapFeatures.of("0"));
        if (identity != null && f.supported()) {
            FEATURES.put(b, new KnownFeatures(identity, f));
        }
        return f;
    }

    private record KnownFeatures(Object identity, BwrapFeatures features) {
    }

    private static final java.util.Map<Path, KnownFeatures> FEATURES = new java.util.concurrent.ConcurrentHashMap<>();

    private static Object identity(Path file) {
        try {
            var a = Files.readAttributes(file.toRealPath(), java.nio.file.attribute.BasicFileAttributes.class);
            return List.of(String.valueOf(a.fileKey()), a.size(), Files.getAttribute(file.toRealPath(), "unix:ctime"));
        } catch (IOException | UnsupportedOperationException e) {
            return null;
        }
    }

    private Optional<Result> trial(Path launcher) {
        List<String> args = new ArrayList<>();
        if (HostIds.root()) {
            args.addAll(List.of("--host-uid", Integer.toString(HostIds.SANDBOX_HOST_UID), "--host-gid",
                    Integer.toString(HostIds.SANDBOX_HOST_GID)));
        }
        List<String> options = List.of("--ro-bind", "/", "/", "--unshare-user", "--unshare-pid");
        args.addAll(List.of("--bwrap", bwrap.orElseThrow().toString(), "--options", Integer.toString(options.size())));
        args.addAll(options);
        args.addAll(List.of("--", "true"));
        Path file = null;
        try {
            file = Files.createTempFile("sandbox4j-bwrap-probe-", ".args",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.write(file, (String.join("\0", args) + "\0").getBytes(StandardCharsets.UTF_8));
            return run(List.of(launcher.toString(), "--bwrap", file.toString()));
        } catch (IOException e) {
            return Optional.of(new Result(-1, "writing the probe's arguments failed: " + e));
        } finally {
            if (file != null) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException ignored) {
                    // the launcher deletes it once read; a leftover in java.io.tmpdir is harmless
                }
            }
        }
    }

    private record Result(int code, String output) {
    }

    private static Optional<Result> run(List<String> argv) {
        ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().clear();
        Process p = null;
        try {
            p = pb.start();
            p.getOutputStream().close();
            if (!p.waitFor(PROBE_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)) {
                return Optional.empty();
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return Optional.of(new Result(p.exitValue(), out.length() > 500 ? out.substring(0, 500) : out));
        } catch (IOException e) {
            return Optional.of(new Result(-1, e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        } finally {
            if (p != null && p.isAlive()) {
                p.destroyForcibly();
            }
        }
    }
}
