package dev.sandbox4j.benchmarks.support;

import dev.sandbox4j.Command;
import dev.sandbox4j.Sandbox;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code bwrap} CLI baseline with exactly the options the bubblewrap backend uses. It opens a
 * bubblewrap sandbox whose {@code bubblewrap.bwrap} option points at a small recording script: the script
 * copies what the backend's launcher hands bwrap (its arguments, and the files open on fds 3 to 5: the
 * options read through {@code --args}, the seccomp programs) plus the uid and gid it runs as into a
 * private directory, then runs the real bwrap with them. The baseline replays that recording with a plain
 * {@code sh} that opens the same fds from the files and execs bwrap, through {@code setpriv} when the
 * launcher had dropped to another uid: the same namespaces, mounts, uid, capabilities, environment and
 * seccomp filters, minus the library. Not replayed: the cgroups the launcher joins, and the binds it
 * stages as root in a private mount namespace (their mount points are bound empty in the replay). The
 * sandbox stays open while the baseline runs, because the recorded options bind its private files. Not
 * thread-safe.
 */
public final class BwrapCapture implements AutoCloseable {
    private static final String OPTION_BWRAP = "bubblewrap.bwrap";
    /** The fds the launcher may hand bwrap: 3 the policy's seccomp program, 4 the options, 5 a guard program. */
    private static final List<Integer> FDS = List.of(3, 4, 5);

    private final Path dir;
    private final Sandbox sandbox;
    private final List<String> replay;

    private BwrapCapture(Path dir, Sandbox sandbox, List<String> replay) {
        this.dir = dir;
        this.sandbox = sandbox;
        this.replay = replay;
    }

    /** Records one exec of {@code true} in a bubblewrap sandbox under its benchmark policy. */
    public static BwrapCapture record() {
        Path bwrap = bwrapPath().orElseThrow(() -> new IllegalStateException(
                "bwrap baseline: bwrap is not on PATH; apt-get install bubblewrap"));
        Path dir;
        try {
            // the launcher may run bwrap (and so the recorder) as another uid (nobody): it may traverse the
            // directory and write the files made for it here, but not list or add anything
            dir = Files.createTempDirectory("sandbox4j-bench-bwrap-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx--x--x")));
            for (String f : recordedFiles()) {
                Path p = Files.createFile(dir.resolve(f));
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-rw-rw-"));
            }
            Path recorder = dir.resolve("bwrap-recorder");
            Files.writeString(recorder, recorderScript(dir, bwrap));
            Files.setPosixFilePermissions(recorder, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (IOException e) {
            throw new UncheckedIOException("bwrap baseline: making the recording directory failed", e);
        }
        Target target = new Target("bubblewrap", "bubblewrap", Map.of(OPTION_BWRAP, dir.resolve("bwrap-recorder").toString()));
        Sandbox sandbox;
        try {
            sandbox = Sandboxes.open(target);
        } catch (RuntimeException e) {
            deleteTree(dir);
            throw e;
        }
        try {
            Sandboxes.execOk(sandbox, Command.of("true"));
            List<String> argv = split(Files.readString(dir.resolve("argv"), StandardCharsets.UTF_8));
            if (argv.isEmpty()) {
                throw new IllegalStateException("bwrap baseline: the bubblewrap backend ran `true` without calling"
                        + " the recording bwrap; update BwrapCapture");
            }
            Path replayScript = dir.resolve("bwrap-replay");
            Files.writeString(replayScript, replayScript(dir, bwrap,
                    Files.readString(dir.resolve("ids"), StandardCharsets.UTF_8).strip()));
            Files.setPosixFilePermissions(replayScript, PosixFilePermissions.fromString("rwx------"));
            List<String> replay = new ArrayList<>(List.of(replayScript.toString()));
            replay.addAll(argv);
            return new BwrapCapture(dir, sandbox, List.copyOf(replay));
        } catch (IOException | RuntimeException e) {
            sandbox.close();
            deleteTree(dir);
            throw e instanceof IOException io ? new UncheckedIOException("bwrap baseline: reading the recording failed", io)
                    : (RuntimeException) e;
        }
    }

    /** The replay command: {@code bwrap-replay <the recorded command>}. */
    public List<String> replay() {
        return replay;
    }

    /**
     * The floor of any one-shot that runs bwrap with these options: the same bwrap, options and command,
     * spawned directly (no {@code sh}, no {@code setpriv}: as the JVM's uid) and without the seccomp
     * programs, which would need fds that {@link ProcessBuilder} cannot pass. What is left is the work bwrap
     * and the kernel do for the namespaces and the file system view that the policy asks for.
     */
    public List<String> direct() {
        try {
            List<String> options = split(Files.readString(dir.resolve("fd4"), StandardCharsets.UTF_8));
            List<String> argv = split(Files.readString(dir.resolve("argv"), StandardCharsets.UTF_8));
            List<String> out = new ArrayList<>(List.of(bwrapPath().orElseThrow().toString()));
            out.addAll(withoutSeccomp(options));
            int end = argv.indexOf("--");
            if (end < 0) {
                throw new IllegalStateException("bwrap baseline: the recorded bwrap call has no `--` before its command: "
                        + argv + "; update BwrapCapture");
            }
            List<String> leading = withoutSeccomp(argv.subList(0, end));
            if (!leading.isEmpty()) {
                // an option outside the fd-4 file that the floor would drop unseen: refuse rather than under-measure
                throw new IllegalStateException("bwrap baseline: the recorded bwrap call has options " + leading
                        + " besides --args and the seccomp fds; update BwrapCapture.direct");
            }
            out.addAll(argv.subList(end, argv.size()));
            return List.copyOf(out);
        } catch (IOException e) {
            throw new UncheckedIOException("bwrap baseline: reading the recording failed", e);
        }
    }

    /** {@code options} without the pairs that hand bwrap fds: seccomp programs and {@code --args}. */
    private static List<String> withoutSeccomp(List<String> options) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < options.size(); i++) {
            String o = options.get(i);
            if (o.equals("--seccomp") || o.equals("--add-seccomp-fd") || o.equals("--args")) {
                i++;
                continue;
            }
            out.add(o);
        }
        return out;
    }

    /** How many options bwrap gets, for the report. */
    public int optionCount() {
        try {
            return (int) Files.readString(dir.resolve("fd4"), StandardCharsets.UTF_8).chars().filter(c -> c == 0).count();
        } catch (IOException e) {
            return -1;
        }
    }

    @Override
    public void close() {
        sandbox.close();
        deleteTree(dir);
    }

    private static List<String> recordedFiles() {
        List<String> files = new ArrayList<>(List.of("argv", "ids"));
        FDS.forEach(fd -> files.add("fd" + fd));
        return files;
    }

    /**
     * Runs with an empty environment (as the backend's launcher leaves it), so every program is named by
     * path. It records only the first call that carries {@code --args}; any other (a version probe) goes
     * straight to bwrap. fd 4 is the options and always a file; 3 and 5 are recorded when open.
     */
    private static String recorderScript(Path dir, Path bwrap) {
        String d = quote(dir.toString());
        StringBuilder s = new StringBuilder("#!/bin/sh\n");
        s.append("if [ \"$1\" = --args ] && [ ! -s ").append(d).append("/argv ]; then\n");
        for (int fd : FDS) {
            s.append("  if [ -e /proc/self/fd/").append(fd).append(" ]; then /bin/cat <&").append(fd).append(" > ")
                    .append(d).append("/fd").append(fd).append(" || exit 125; exec ").append(fd).append("< ")
                    .append(d).append("/fd").append(fd).append("; fi\n");
        }
        s.append("  echo \"$(/usr/bin/id -u) $(/usr/bin/id -g)\" > ").append(d).append("/ids || exit 125\n");
        s.append("  printf '%s\\0' \"$@\" > ").append(d).append("/argv || exit 125\n");
        s.append("fi\n");
        s.append("exec ").append(quote(bwrap.toString())).append(" \"$@\"\n");
        return s.toString();
    }

    /** Opens the recorded fds (as root, before any uid change), then becomes bwrap as the recorded ids. */
    private static String replayScript(Path dir, Path bwrap, String ids) throws IOException {
        StringBuilder s = new StringBuilder("#!/bin/sh\n");
        for (int fd : FDS) {
            Path f = dir.resolve("fd" + fd);
            if (Files.size(f) > 0) {
                s.append("exec ").append(fd).append("< ").append(quote(f.toString())).append('\n');
            }
        }
        String[] uidGid = ids.split("\\s+");
        boolean switchIds = uidGid.length == 2 && !uidGid[0].equals(Long.toString(currentUid()));
        s.append("exec ");
        if (switchIds) {
            Path setpriv = which("setpriv").orElseThrow(() -> new IllegalStateException(
                    "bwrap baseline: the backend ran bwrap as uid " + uidGid[0] + " and setpriv (util-linux) is not on PATH"));
            s.append(quote(setpriv.toString())).append(" --reuid=").append(uidGid[0]).append(" --regid=")
                    .append(uidGid[1]).append(" --clear-groups ");
        }
        s.append(quote(bwrap.toString())).append(" \"$@\"\n");
        return s.toString();
    }

    private static long currentUid() {
        try {
            return ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).longValue();
        } catch (IOException | UnsupportedOperationException e) {
            return -1;
        }
    }

    /** printf '%s\0' output: every argument ends with a NUL (an empty argument is an empty string). */
    private static List<String> split(String nulTerminated) {
        if (nulTerminated.isEmpty()) {
            return List.of();
        }
        List<String> out = new ArrayList<>(List.of(nulTerminated.split("\0", -1)));
        out.remove(out.size() - 1);
        return out;
    }

    /** The bwrap on PATH, if any. */
    public static Optional<Path> bwrapPath() {
        return which("bwrap");
    }

    static Optional<Path> which(String program) {
        String path = System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin");
        for (String d : path.split(":")) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, program))) {
                return Optional.of(Path.of(d, program));
            }
        }
        return Optional.empty();
    }

    private static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    private static void deleteTree(Path dir) {
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temp dir: at worst it stays until the next reboot
        }
    }
}
