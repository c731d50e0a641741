package dev.sandbox4j.container.internal.seccomp;

import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.SandboxStartException;
import dev.sandbox4j.container.internal.agent.ExecAgent;
import dev.sandbox4j.spi.SeccompProgram;
import dev.sandbox4j.spi.SessionLabels;
import dev.sandbox4j.spi.SyscallTable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The seccomp filter of a gVisor sandbox made through a container engine. runsc applies the container's
 * OCI seccomp profile to the container's init and its children only; a command started through the
 * engine's Exec API runs without it. So every such command runs under {@code s4j-seccomp-exec} (a
 * freestanding static helper this module's build compiles from {@code src/main/c}), which installs the
 * sandbox's {@link SyscallTable} as a classic-BPF program (compiled by libseccomp, {@link SeccompProgram},
 * default allow) with no_new_privs and then executes the command: the same rules, with the same errnos, as
 * every other backend's filter, inherited by everything the command starts.
 *
 * <p>The same directory holds {@code s4j-kill-tree}, which kills a command's process tree from inside
 * ({@link #killTreeCommand}, itself run under the filter): the builtins-only kill script of the other
 * backends reads {@code /proc} a byte per system call, which on gVisor's ptrace platform took seconds in a
 * busy sandbox.
 *
 * <p>Per sandbox, a directory {@code <tmp>/sandbox4j-sec-<session>--<id>} (mode 0711, the JVM's) holds
 * the two helpers (0555) and the program (0444); it is bound read-only at {@value #INSIDE}. Thread-safe.
 */
public final class SeccompHelper implements AutoCloseable {
    /** Where the directory appears inside the container. */
    public static final String INSIDE = "/.sandbox4j/seccomp";
    static final String RESOURCE_DIR = "/dev/sandbox4j/container/native/";
    static final String NAME = "s4j-seccomp-exec";
    static final String KILL_NAME = "s4j-kill-tree";
    private static final String KIND = "sec";

    private final Path dir;
    private final SeccompProgram program;

    private SeccompHelper(Path dir, SeccompProgram program) {
        this.dir = dir;
        this.program = program;
    }

    /**
     * Writes the helper and the sandbox's filter program.
     *
     * @throws SandboxStartException when this jar has no helper for this architecture, libseccomp is missing,
     *                               or the files cannot be written (named, with the fix)
     */
    public static SeccompHelper prepare(String sandboxId, IsolationPolicy policy) {
        SeccompProgram program = SeccompProgram.compile(SyscallTable.forSandbox(policy), SeccompProgram.Target.HOST);
        byte[] helper = helperBinary(NAME);
        byte[] killer = helperBinary(KILL_NAME);
        Path d = Path.of(System.getProperty("java.io.tmpdir")).resolve(SessionLabels.hostName(KIND, sandboxId));
        try {
            Files.createDirectory(d, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx--x--x")));
            Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwx--x--x"));
            write(d.resolve("exec"), helper, "r-xr-xr-x");
            write(d.resolve("filter.bpf"), program.bpf(), "r--r--r--");
            write(d.resolve("kill-tree"), killer, "r-xr-xr-x");
            return new SeccompHelper(d, program);
        } catch (IOException | RuntimeException e) {
            ExecAgent.deleteDir(d);
            throw new SandboxStartException("gvisor: cannot write the seccomp helper of the sandbox to " + d + ": " + e
                    + "; the temp directory (java.io.tmpdir) must be a local directory this JVM can write", e);
        }
    }

    private static void write(Path file, byte[] content, String mode) throws IOException {
        Files.write(file, content, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
    }

    /** The helper {@code name} of this jar for this machine's architecture. */
    static byte[] helperBinary(String name) {
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        String norm = switch (arch) {
            case "amd64", "x86_64" -> "x86_64";
            case "aarch64", "arm64" -> "aarch64";
            default -> arch;
        };
        String res = RESOURCE_DIR + "linux-" + norm + "/" + name;
        try (InputStream in = SeccompHelper.class.getResourceAsStream(res)) {
            if (in == null) {
                throw new SandboxStartException("gvisor: this jar holds no " + name + " for " + norm + " (resource " + res
                        + "), a helper every gVisor sandbox needs; build sandbox4j-backend-container on this architecture"
                        + " with gcc installed");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new SandboxStartException("gvisor: reading the resource " + res + " failed: " + e, e);
        }
    }

    /** The host directory, to bind read-only at {@link #INSIDE}. */
    public Path hostDir() {
        return dir;
    }

    /** What every command runs under: the helper, the program, then the command's argv. */
    public static List<String> commandPrefix() {
        return List.of(INSIDE + "/exec", INSIDE + "/filter.bpf");
    }

    /**
     * The argv that kills the process tree rooted at {@code pid} (a pid inside) with {@code s4j-kill-tree},
     * under the sandbox's filter like every other process there; it exits 0 when the tree is gone.
     */
    public static List<String> killTreeCommand(long pid) {
        return List.of(INSIDE + "/exec", INSIDE + "/filter.bpf", INSIDE + "/kill-tree", Long.toString(pid));
    }

    /** The compiled program (for plans and messages). */
    public SeccompProgram program() {
        return program;
    }

    /** Removes the directory. Idempotent; never throws. */
    @Override
    public void close() {
        ExecAgent.deleteDir(dir);
    }

    /** Deletes the directories of JVMs that died; one line per directory. */
    public static List<String> reapOrphans() {
        List<String> removed = new ArrayList<>();
        try (var dirs = Files.newDirectoryStream(Path.of(System.getProperty("java.io.tmpdir")),
                SessionLabels.NAME_PREFIX + KIND + "-*")) {
            for (Path d : dirs) {
                var session = SessionLabels.sessionOf(d.getFileName().toString());
                if (session.isPresent() && !SessionLabels.ownerAlive(session.get())) {
                    ExecAgent.deleteDir(d);
                    removed.add("seccomp helper dir " + d + " (session " + session.get() + ")");
                }
            }
        } catch (IOException e) {
            // no temp dir to look at: nothing to reap
        }
        return removed;
    }
}
