package dev.sandbox4j.testkit;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.sandbox4j.Command;
import dev.sandbox4j.DataSize;
import dev.sandbox4j.ExecResult;
import dev.sandbox4j.Sandbox;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * The attack helper of the contract kit: {@code attack.c} (a test resource next to this class), compiled on
 * the host once per JVM with {@code gcc -static -O2}, copied into a sandbox's workspace through the files
 * API and run there with {@code /bin/sh}. It makes each attempt with raw system calls through every ABI the
 * kernel has (x86_64; i386 through {@code int 0x80}; x32 through numbers with bit 30 set), each in a child of
 * its own, and prints one line per attempt: {@code <abi>.<attempt> <result> <errno>}; see the C file.
 *
 * <p>Where gcc or a static C library is missing, or the host is not x86_64, {@link #binary()} aborts the
 * calling test with the reason (a skip, never a pass). Thread-safe: the compilation is done once, under a lock.
 */
public final class AttackHelper {
    /** The resource holding the C source. */
    static final String SOURCE = "attack.c";

    /** What {@code setid} tries, per ABI. {@code openat2} is answered ENOSYS by the table; the rest EPERM. */
    public static final List<String> SETID = List.of("chmod.suid", "chmod.sgid", "fchmod.suid", "fchmod.sgid",
            "fchmodat.suid", "fchmodat.sgid", "fchmodat2.suid", "fchmodat2.sgid", "open-creat.suid", "open-creat.sgid",
            "openat-creat.suid", "openat-creat.sgid", "creat.suid", "creat.sgid", "open-tmpfile.suid",
            "open-tmpfile.sgid", "openat-tmpfile.suid", "openat-tmpfile.sgid", "mknod.suid", "mknod.sgid",
            "mknodat.suid", "mknodat.sgid", "openat2.suid", "openat2.plain");

    /** What {@code ns} tries: clone with each CLONE_NEW* flag (and two pairs), clone3, unshare, setns. */
    public static final List<String> NS = List.of("clone.newns", "clone.newcgroup", "clone.newuts", "clone.newipc",
            "clone.newuser", "clone.newpid", "clone.newnet", "clone.newtime", "clone.newuser-newnet",
            "clone.newuser-newns", "clone3.newuser", "clone3.plain", "unshare.newuser", "unshare.newnet",
            "unshare.newns", "setns.user");

    /** What {@code uring} tries. */
    public static final List<String> URING = List.of("io_uring_setup", "io_uring_enter", "io_uring_register");

    /** What {@code vsock} tries; {@code socketcall.*} on i386 only. */
    public static final List<String> VSOCK = List.of("socket.vsock-stream", "socket.vsock-dgram",
            "socketcall.vsock-stream");

    /** What {@code controls} tries: each must succeed, or the ABI's path is not what the attempts went through. */
    public static final List<String> CONTROLS = List.of("ctl.open-creat.0644", "ctl.openat-creat.0644", "ctl.creat.0644",
            "ctl.chmod.0755", "ctl.fchmod.0755", "ctl.fchmodat.0755", "ctl.mknod.0644", "ctl.mknodat.0644", "ctl.clone",
            "ctl.socket.unix");

    private static Path compiled;
    private static String unavailable;

    private AttackHelper() {
    }

    /**
     * The helper binary, compiled on the first call of this JVM (into a temp directory removed at exit);
     * aborts the calling test when it cannot be built here (no gcc, no static libc, not x86_64), naming why.
     *
     * @throws AssertionError when gcc is there and builds a static binary, but not this source (a kit bug)
     */
    public static synchronized Path binary() {
        if (compiled == null && unavailable == null) {
            compile();
        }
        if (unavailable != null) {
            Assumptions.abort(unavailable);
        }
        return compiled;
    }

    private static void compile() {
        String arch = System.getProperty("os.arch", "");
        if (!arch.equals("amd64") && !arch.equals("x86_64")) {
            unavailable = "the attack helper is x86_64 code (int 0x80 and x32 numbers), and this JVM runs on " + arch;
            return;
        }
        try {
            Path dir = Files.createTempDirectory("sandbox4j-attack-");
            dir.toFile().deleteOnExit();
            Path src = dir.resolve(SOURCE);
            try (InputStream in = AttackHelper.class.getResourceAsStream(SOURCE)) {
                if (in == null) {
                    throw new AssertionError("the contract kit's " + SOURCE + " is not on the class path next to "
                            + AttackHelper.class.getName() + " (core's test-jar is incomplete)");
                }
                Files.write(src, in.readAllBytes());
            }
            src.toFile().deleteOnExit();
            // can this host link a static binary at all? (gcc without libc6-dev's libc.a cannot)
            Path probeSrc = dir.resolve("probe.c");
            Files.writeString(probeSrc, "int main(void) { return 0; }\n");
            probeSrc.toFile().deleteOnExit();
            Path probe = dir.resolve("probe");
            probe.toFile().deleteOnExit();
            String[] gccProbe = run(dir, "gcc", "-static", "-O2", "-o", probe.toString(), probeSrc.toString());
            if (!gccProbe[0].equals("0")) {
                unavailable = "the attack helper needs gcc with a static C library on the host (apt-get install gcc"
                        + " libc6-dev), and 'gcc -static' fails here: " + gccProbe[1];
                return;
            }
            Path out = dir.resolve("sandbox4j-attack");
            out.toFile().deleteOnExit();
            String[] gcc = run(dir, "gcc", "-static", "-O2", "-Wall", "-o", out.toString(), src.toString());
            if (!gcc[0].equals("0")) {
                throw new AssertionError("gcc -static builds a static binary here, but not the kit's " + SOURCE + " (exit "
                        + gcc[0] + "): " + gcc[1]);
            }
            compiled = out;
        } catch (IOException e) {
            unavailable = "the attack helper cannot be compiled here: " + e;
        }
    }

    /** Runs a host command; returns {exit status or "missing", output}. */
    private static String[] run(Path dir, String... argv) throws IOException {
        Process p;
        try {
            p = new ProcessBuilder(argv).directory(dir.toFile()).redirectErrorStream(true).start();
        } catch (IOException e) {
            return new String[] {"missing", argv[0] + " cannot be started: " + e.getMessage()};
        }
        String output = new String(p.getInputStream().readAllBytes(), UTF_8);
        try {
            if (!p.waitFor(5, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                return new String[] {"timeout", output};
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new IOException("interrupted while " + argv[0] + " ran", e);
        }
        return new String[] {Integer.toString(p.exitValue()), output.strip()};
    }

    /**
     * Copies the helper into {@code sandbox}'s workspace and runs it there on {@code dir} (a directory path
     * inside the sandbox, made by the helper; relative paths are relative to the workspace) with the
     * {@code groups} (comma-separated: setid, ns, uring, vsock, controls).
     *
     * @return the parsed report; the raw output is in it for messages
     * @throws AssertionError when the helper did not run to its end (its output and the exec result are named)
     */
    public static Report run(Sandbox sandbox, String dir, String groups) {
        Path bin = binary();
        String name = "sandbox4j-attack-" + Long.toHexString(System.nanoTime());
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(bin);
        } catch (IOException e) {
            throw new AssertionError("reading the compiled attack helper " + bin + " failed: " + e, e);
        }
        sandbox.files().write(name, bytes);
        // a copy the sandbox's user owns, so that it may make it executable whoever wrote the original
        String script = "cp ./" + name + " ./" + name + ".run && chmod 0755 ./" + name + ".run && exec ./" + name + ".run '"
                + dir + "' '" + groups + "'";
        ExecResult r = sandbox.exec(Command.shell(script).timeout(Duration.ofMinutes(5)).maxOutput(DataSize.ofMiB(4)));
        Report report = Report.parse(name, r);
        if (!report.complete()) {
            Assertions.fail("the attack helper did not run to its end in " + sandbox.backend() + " (" + r + "); it must"
                    + " run from the workspace with /bin/sh alone.\nstdout:\n" + r.stdout() + "\nstderr:\n" + r.stderr());
        }
        return report;
    }

    /** One attempt's outcome: {@code result} is 0, -1 or "killed"; {@code errno} the errno's or signal's name. */
    public record Outcome(String name, String result, String errno) {
        public boolean succeeded() {
            return result.equals("0");
        }

        public boolean failedWith(String expected) {
            return result.equals("-1") && errno.equals(expected);
        }

        public boolean killedBy(String signal) {
            return result.equals("killed") && errno.equals(signal);
        }

        @Override
        public String toString() {
            return name + " " + result + " " + errno;
        }
    }

    /**
     * The helper's report.
     *
     * @param binaryName the helper's file name in the workspace
     * @param abis       per ABI ("x86_64", "i386", "x32"): "available", "absent &lt;why&gt;" or "killed SIGSYS"
     * @param outcomes   per full attempt name ({@code <abi>.<attempt>}), in order
     * @param exec       the exec's result
     */
    public record Report(String binaryName, Map<String, String> abis, Map<String, Outcome> outcomes, ExecResult exec,
                         boolean complete) {

        static Report parse(String binaryName, ExecResult r) {
            Map<String, String> abis = new LinkedHashMap<>();
            Map<String, Outcome> outcomes = new LinkedHashMap<>();
            boolean done = false;
            for (String line : r.stdout().split("\n")) {
                String[] f = line.strip().split(" ", 3);
                if (f.length == 1 && f[0].equals("done")) {
                    done = true;
                } else if (f.length == 3 && f[0].startsWith("abi.")) {
                    abis.put(f[0].substring(4), f[1] + (f[1].equals("available") ? "" : " " + f[2]));
                } else if (f.length == 3) {
                    outcomes.put(f[0], new Outcome(f[0], f[1], f[2]));
                }
            }
            return new Report(binaryName, abis, outcomes, r, done && r.exitCode() == 0);
        }

        /** The ABIs whose attempts were made: available ones and those a filter kills as a whole. */
        public List<String> attemptedAbis() {
            List<String> out = new ArrayList<>();
            abis.forEach((abi, state) -> {
                if (!state.startsWith("absent")) {
                    out.add(abi);
                }
            });
            return out;
        }

        /** The ABIs the kernel does not have here, with why: shown in messages so that a skip is visible. */
        public String absentAbis() {
            StringBuilder sb = new StringBuilder();
            abis.forEach((abi, state) -> {
                if (state.startsWith("absent")) {
                    sb.append(sb.isEmpty() ? "" : ", ").append(abi).append(" (").append(state).append(')');
                }
            });
            return sb.isEmpty() ? "none" : sb.toString();
        }

        public Optional<Outcome> outcome(String abi, String attempt) {
            return Optional.ofNullable(outcomes.get(abi + "." + attempt));
        }

        /**
         * Checks every {@code attempts} through every attempted ABI against {@code expected} (an errno name,
         * or "OK" for success) and returns one line per mismatch. Through the compat ABIs (i386, x32) a kill
         * by SIGSYS also counts as refused when an errno is expected: a filter that does not list an ABI
         * kills its callers (SeccompProgram.Target.X86_64, libseccomp's bad-arch action); the controls are not
         * expected to succeed through an ABI whose every call is killed so.
         */
        public List<String> mismatches(List<String> attempts, String expected) {
            List<String> out = new ArrayList<>();
            for (String abi : attemptedAbis()) {
                if (expected.equals("OK") && abis.get(abi).startsWith("killed")) {
                    // a filter that does not list this ABI kills every call through it, the controls too: the ABI is
                    // closed as a whole (shown in summary())
                    continue;
                }
                for (String a : attempts) {
                    if (a.startsWith("socketcall.") && !abi.equals("i386")) {
                        continue;
                    }
                    Outcome o = outcomes.get(abi + "." + a);
                    if (o == null) {
                        out.add(abi + "." + a + ": not reported");
                    } else if (expected.equals("OK") ? !o.succeeded()
                            : !(o.failedWith(expected) || (!abi.equals("x86_64") && o.killedBy("SIGSYS")))) {
                        out.add(o + " (expected " + (expected.equals("OK") ? "success" : "-1 " + expected
                                + (abi.equals("x86_64") ? "" : " or killed SIGSYS")) + ")");
                    }
                }
            }
            return out;
        }

        /** What the helper printed and which ABIs it used, for failure messages. */
        public String describe() {
            return "ABIs: " + abis + "\nhelper output:\n" + exec.stdout() + (exec.stderr().isBlank() ? ""
                    : "\nhelper stderr:\n" + exec.stderr());
        }

        /** One line for the test log: which ABIs were attempted and which the kernel lacks. */
        public String summary(String backend) {
            return "[attack] " + backend + ": attempted through " + String.join(", ", attemptedAbis()) + "; absent here: "
                    + absentAbis() + "; " + outcomes.size() + " attempts; ABIs: " + abis;
        }
    }
}
