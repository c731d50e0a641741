package dev.sandbox4j.container.internal.runsc;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One {@code runsc} binary and the global flags every call of a sandbox passes: a private state
 * directory ({@code --root}), the ptrace platform (the only one that works on this kind of host: KVM is
 * nested, systrap is newer than Debian's runsc), {@code --network=none} (runsc cannot start its own
 * network stack in the root network namespace; with none the sandbox has its own loopback only),
 * {@code --oci-seccomp} (without it runsc ignores the spec's seccomp profile) and
 * {@code --host-fifo=open} (so the in-sandbox exec agent can open the FIFOs of its control directory,
 * which is bind-mounted read-only; the sandbox sees no other host FIFO). Thread-safe, immutable.
 */
public final class Runsc {
    /** The binary looked for when the option {@code gvisor.runsc} names none. */
    public static final String DEFAULT = "runsc";
    static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);

    private final Path binary;

    private Runsc(Path binary) {
        this.binary = binary;
    }

    /** The binary {@code name} (a path, or a name looked up on the PATH and in /usr/sbin, /usr/bin). */
    public static Optional<Runsc> find(String name) {
        if (name.contains("/")) {
            Path p = Path.of(name);
            return Files.isExecutable(p) && !Files.isDirectory(p) ? Optional.of(new Runsc(p.toAbsolutePath())) : Optional.empty();
        }
        List<String> dirs = new ArrayList<>();
        String path = System.getenv("PATH");
        if (path != null) {
            dirs.addAll(List.of(path.split(File.pathSeparator)));
        }
        dirs.addAll(List.of("/usr/local/bin", "/usr/bin", "/usr/sbin", "/bin", "/sbin"));
        for (String d : dirs) {
            if (d.isEmpty()) {
                continue;
            }
            Path p = Path.of(d, name);
            if (Files.isExecutable(p) && !Files.isDirectory(p)) {
                return Optional.of(new Runsc(p));
            }
        }
        return Optional.empty();
    }

    /** What to do when {@link #find} finds nothing. */
    public static String installFix() {
        return "apt-get install runsc (gVisor), or set the builder option gvisor.runsc to the runsc binary's path";
    }

    public Path binary() {
        return binary;
    }

    /** The argv prefix of a call against the state directory {@code root}. */
    List<String> command(Path root, String... args) {
        List<String> cmd = new ArrayList<>(List.of(binary.toString(), "--root", root.toString(), "--platform=ptrace",
                "--network=none", "--oci-seccomp", "--host-fifo=open"));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** The outcome of one runsc call. */
    record Result(int exitCode, String output) {
        boolean ok() {
            return exitCode == 0;
        }
    }

    /**
     * Runs runsc with {@code args} against {@code root}, stdin empty, stdout and stderr together, within
     * {@code timeout} (then it is killed and the result is exit 124).
     */
    Result run(Path root, Duration timeout, String... args) throws IOException {
        return runArgv(command(root, args), timeout);
    }

    static Result runArgv(List<String> argv, Duration timeout) throws IOException {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start();
        CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> {
            try {
                return p.getInputStream().readAllBytes();
            } catch (IOException e) {
                return new byte[0];
            }
        });
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                return new Result(124, argv.get(argv.size() > 1 ? 1 : 0) + " did not end within " + timeout);
            }
            return new Result(p.exitValue(), new String(out.get(5, TimeUnit.SECONDS), StandardCharsets.UTF_8).strip());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new IOException("interrupted while running " + argv, e);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            return new Result(p.exitValue(), "");
        }
    }

    /** {@code runsc --version}'s first line, or why it cannot run. */
    public Result version() {
        try {
            Result r = runArgv(List.of(binary.toString(), "--version"), Duration.ofSeconds(4));
            return new Result(r.exitCode(), r.output().lines().findFirst().orElse(""));
        } catch (IOException e) {
            return new Result(-1, e.getMessage());
        }
    }

    @Override
    public String toString() {
        return binary.toString();
    }
}
