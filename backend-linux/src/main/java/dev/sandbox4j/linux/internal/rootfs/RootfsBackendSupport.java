package dev.sandbox4j.linux.internal.rootfs;

import dev.sandbox4j.InvalidInputException;
import dev.sandbox4j.linux.internal.cgroup.CgroupSandbox;
import dev.sandbox4j.linux.internal.host.PrivateDirs;
import dev.sandbox4j.spi.Availability;
import dev.sandbox4j.spi.SandboxSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.BiFunction;
import java.util.function.Supplier;

/**
 * What the chroot and nspawn providers share around their sessions: a probe cached while it says
 * available (5 minutes; an unavailable answer is never cached, so a fix shows at once), the two options
 * {@code <name>.path} and {@code <name>.tmpdir} checked strictly, and the reaper of cgroups and private
 * directories. Thread-safe.
 */
public final class RootfsBackendSupport {
    private static final Duration PROBE_CACHE = Duration.ofMinutes(5);

    private final String name;
    private final String kind;
    private volatile Availability cached;
    private volatile long cachedAt;

    /** @param kind the kind in the private directories' names */
    public RootfsBackendSupport(String name, String kind) {
        this.name = name;
        this.kind = kind;
    }

    public String optionPath() {
        return name + ".path";
    }

    public String optionTmpdir() {
        return name + ".tmpdir";
    }

    /** Not Linux, or {@code probeNow}'s answer (cached while available); a failing probe is a bug's answer. */
    public Availability probe(Supplier<Availability> probeNow) {
        Availability a = cached;
        if (a != null && System.nanoTime() - cachedAt < PROBE_CACHE.toNanos()) {
            return a;
        }
        try {
            a = System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux") ? probeNow.get()
                    : Availability.unavailable("the " + name + " backend needs Linux (this is " + System.getProperty("os.name")
                    + ")", "run on Linux, or use the docker or qemu backend");
        } catch (RuntimeException | LinkageError e) {
            a = Availability.unavailable("probing " + name + " failed: " + e, "report a bug in sandbox4j-backend-linux");
        }
        if (a.available()) {
            cached = a;
            cachedAt = System.nanoTime();
        }
        return a;
    }

    /**
     * Checks the spec's options of this backend and opens the session with the search path and the
     * private directories' parent they name.
     *
     * @throws InvalidInputException for an option of this backend it does not know
     */
    public <S> S open(SandboxSpec spec, String defaultPath, BiFunction<String, Path, S> opener) {
        for (String key : spec.options().keySet()) {
            if (key.startsWith(name + ".") && !key.equals(optionPath()) && !key.equals(optionTmpdir())) {
                throw new InvalidInputException("option " + key + ": unknown to the " + name + " backend; it takes "
                        + optionPath() + " and " + optionTmpdir());
            }
        }
        String path = spec.options().getOrDefault(optionPath(), defaultPath);
        return opener.apply(path, Path.of(spec.options().getOrDefault(optionTmpdir(), System.getProperty("java.io.tmpdir"))));
    }

    /** Removes the leftovers of dead JVMs: cgroups, then {@code more} (engine leftovers), then private directories. */
    public List<String> reap(Supplier<List<String>> more) {
        List<String> removed = new ArrayList<>();
        try {
            removed.addAll(CgroupSandbox.reap());
            removed.addAll(more.get());
        } catch (RuntimeException e) {
            removed.add("cgroup reaper failed: " + e);
        }
        try {
            removed.addAll(PrivateDirs.reap(Path.of(System.getProperty("java.io.tmpdir")), kind));
        } catch (RuntimeException e) {
            removed.add("temp dir reaper failed: " + e);
        }
        return removed;
    }
}
