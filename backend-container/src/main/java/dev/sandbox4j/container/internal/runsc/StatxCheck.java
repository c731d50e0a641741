package dev.sandbox4j.container.internal.runsc;

import dev.sandbox4j.spi.Availability;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Whether a runsc runs the host's GNU tools: some gVisor releases (Debian's runsc of 2022 among them)
 * answer EINVAL to the statx calls of GNU coreutils, so {@code ls /} fails inside a sandbox on
 * {@link dev.sandbox4j.SandboxImage#host()} with "cannot access '/': Invalid argument" (busybox's tools,
 * which use stat, work). Found by running that command once per runsc binary and JVM in
 * {@code runsc do} (the host's root as a read-only overlay, the ptrace platform, no network, a private
 * state directory; {@code --rootless} in a JVM that is not root), which takes well under a second. The
 * probes of {@code gvisor} and {@code gvisor-runsc} add the finding to an available backend's reason and
 * fix, so that {@code sandbox4j doctor} says it: a warning, never unavailability (the sandbox runs
 * commands; only those tools fail). Thread-safe.
 */
public final class StatxCheck {
    /** The command run, as a sandbox on the host image would: GNU ls stats the root with statx. */
    static final List<String> COMMAND = List.of("/usr/bin/ls", "-d", "/");
    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final Map<Path, Finding> CACHE = new ConcurrentHashMap<>();

    /**
     * What the check found.
     *
     * @param broken  true when GNU ls failed with EINVAL (the warning applies)
     * @param checked false when the check could not run (then {@code detail} says why; no warning)
     * @param detail  the failing command and its output, or why it was not checked
     */
    public record Finding(boolean broken, boolean checked, String detail) {
        /**
         * An available {@code base} with the warning leading its reason (so that a table cut to its width still
         * shows it) and the way out as its fix; {@code base} itself otherwise.
         */
        public Availability apply(Availability base) {
            if (!base.available() || !broken) {
                return base;
            }
            return new Availability(true, "WARNING: " + detail + "; " + base.reason(), FIX);
        }
    }

    /** What to do about a runsc that fails statx. */
    public static final String FIX = "for SandboxImage.host(), install a newer runsc (gVisor's own release, see"
            + " https://gvisor.dev/docs/user_guide/install/) and run sandbox4j doctor again; or use an image whose tools"
            + " do not call statx, such as a busybox root file system (SandboxImage.rootfs)";

    private StatxCheck() {
    }

    /** The finding for {@code runsc}, run once per binary and JVM. */
    public static Finding of(Runsc runsc) {
        return CACHE.computeIfAbsent(runsc.binary().toAbsolutePath(), b -> run(runsc));
    }

    private static Finding run(Runsc runsc) {
        if (!Files.isExecutable(Path.of(COMMAND.get(0)))) {
            return new Finding(false, false, "no " + COMMAND.get(0) + " on this host to try");
        }
        Path state;
        try {
            state = Files.createTempDirectory("sandbox4j-statx-check-", PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rwx------")));
        } catch (IOException e) {
            return new Finding(false, false, "cannot make a state directory for runsc: " + e.getMessage());
        }
        try {
            List<String> argv = new ArrayList<>(List.of(runsc.binary().toString(), "--root", state.toString(),
                    "--platform=ptrace", "--network=none"));
            if (!isRoot()) {
                argv.add("--rootless");
            }
            argv.add("do");
            argv.addAll(COMMAND);
            return classify(runsc, Runsc.runArgv(argv, TIMEOUT));
        } catch (IOException e) {
            return new Finding(false, false, "runsc do could not run: " + e.getMessage());
        } finally {
            deleteTree(state);
        }
    }

    /** The finding for one run of {@link #COMMAND} under {@code runsc do}. */
    static Finding classify(Runsc runsc, Runsc.Result r) {
        String out = r.output().strip();
        if (r.ok()) {
            return new Finding(false, true, String.join(" ", COMMAND) + " runs under " + runsc);
        }
        if (out.contains("Invalid argument")) {
            String version = runsc.version().output();
            return new Finding(true, true, runsc + " (" + version + ") answers EINVAL to statx, so GNU ls, stat, cp -a..."
                    + " of SandboxImage.host() fail inside: " + firstLine(out) + " (exit " + r.exitCode() + ")");
        }
        return new Finding(false, false, "runsc do " + String.join(" ", COMMAND) + " did not run (exit " + r.exitCode()
                + "): " + firstLine(out));
    }

    private static String firstLine(String s) {
        return s.lines().findFirst().orElse("(no output)");
    }

    private static boolean isRoot() {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid") == 0;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> s = Files.walk(root)) {
            s.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // runsc's own leftovers are in its state directory, under the JVM's tmp: reported by nothing else
                }
            });
        } catch (IOException e) {
            // already gone
        }
    }
}
