package dev.sandbox4j.linux.internal.bwrap;

import dev.sandbox4j.spi.Availability;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The bwrap executable the bubblewrap backend runs, found on a search path, and its version. Immutable and
 * thread-safe.
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
     * Runs {@code bwrap --version}, with a timeout, and checks the version. (Whether a sandbox can be made
     * here is the backend's trial, {@code BubblewrapBackend.probe()}.) Never throws.
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
        return Availability.available("bubblewrap " + version.get() + " at " + bwrap.get());
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
