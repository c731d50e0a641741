package dev.sandbox4j.linux;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandbox4j.Command;
import dev.sandbox4j.ExecResult;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.SandboxException;
import dev.sandbox4j.testkit.BackendRequirement;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The namespaces backend in a JVM of an unprivileged user (uid 65534 here, started with setpriv): it
 * works where user namespaces are allowed, runs the sandbox as that user, and refuses, when opening, a
 * policy whose memory, cpu or pids limit needs a cgroup that user cannot make.
 */
class NamespacesUnprivilegedTest {
    @TempDir
    Path tmp;

    /** Runs in the unprivileged JVM; prints one line per finding. */
    public static final class Child {
        public static void main(String[] args) {
            try (Sandbox s = Sandbox.builder().backend(NamespacesBackend.NAME).policy(IsolationPolicy.strict()).build()) {
                System.out.println("strict opened: " + s.id());
            } catch (SandboxException e) {
                System.out.println("strict refused: " + e.getClass().getSimpleName() + ": " + e.getMessage());
            }
            IsolationPolicy noCgroup = IsolationPolicy.strict().toBuilder()
                    .limits(l -> l.noMemoryLimit().noCpuLimit().noPidsLimit()).build();
            try (Sandbox s = Sandbox.builder().backend(NamespacesBackend.NAME).policy(noCgroup).build()) {
                ExecResult r = s.exec(Command.shell("id -u; echo hi > f; grep -E '^(Seccomp|CapEff):' /proc/self/status"));
                System.out.println("exit " + r.exitCode() + " stdout " + r.stdout().strip().replace('\n', ' ')
                        + " stderr " + r.stderr().strip());
            }
        }
    }

    @Test
    void worksForAnUnprivilegedUserAndRefusesLimitsThatNeedACgroup() throws Exception {
        BackendRequirement.assumeAvailable(NamespacesBackend.NAME);
        Assumptions.assumeTrue("0".equals(String.valueOf(Files.getAttribute(Path.of("/proc/self"), "unix:uid"))),
                "needs root to start a JVM as another user");
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        List<String> cp = new ArrayList<>();
        int n = 0;
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path src = Path.of(entry);
            if (!Files.exists(src)) {
                continue;
            }
            Path dst = tmp.resolve("cp" + n++);
            copy(src, dst);
            cp.add(dst.toString());
        }
        Path work = Files.createDirectories(tmp.resolve("work"));
        Files.setAttribute(work, "unix:uid", 65534);
        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder pb = new ProcessBuilder("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--",
                java, "-Djava.io.tmpdir=" + work, "-Duser.home=" + work, "-cp", String.join(File.pathSeparator, cp),
                Child.class.getName()).redirectErrorStream(true);
        pb.environment().remove("XDG_CACHE_HOME");
        Process p = pb.start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).contains("strict refused: UnsupportedPolicyException: namespaces cannot enforce limits.memory=512m here")
                .contains("exit 0 stdout 65534 CapEff:\t0000000000000000 Seccomp:\t2 stderr ");
    }

    private static void copy(Path src, Path dst) throws IOException {
        if (Files.isRegularFile(src)) {
            Files.copy(src, dst, StandardCopyOption.COPY_ATTRIBUTES);
            Files.setPosixFilePermissions(dst, PosixFilePermissions.fromString("rw-r--r--"));
            return;
        }
        try (Stream<Path> all = Files.walk(src)) {
            for (Path s : all.toList()) {
                Path d = dst.resolve(src.relativize(s).toString());
                if (Files.isDirectory(s)) {
                    Files.createDirectories(d);
                    Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
                } else {
                    Files.copy(s, d);
                    Files.setPosixFilePermissions(d, PosixFilePermissions.fromString(
                            Files.isExecutable(s) ? "r-xr-xr-x" : "rw-r--r--"));
                }
            }
        }
    }
}
