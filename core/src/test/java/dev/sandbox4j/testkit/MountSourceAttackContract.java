package dev.sandbox4j.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandbox4j.Command;
import dev.sandbox4j.ExecResult;
import dev.sandbox4j.InvalidInputException;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.SandboxException;
import dev.sandbox4j.UnsupportedPolicyException;
import dev.sandbox4j.spi.Capability;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Symlinked mount sources: a mount whose host source lies inside the sandbox's own (caller-given,
 * writable) workspace, and a command that replaces the source's last path component, or a directory above
 * it, with a symbolic link to a host directory outside every mount that holds a marker. Host paths are
 * resolved once at {@code build()} without following links and held open, so the next execs see the
 * pinned original or fail, never the link's target; a second sandbox built on the same paths is refused
 * (InvalidInputException naming the link) or shows no marker either. Read-only and read-write mounts, the
 * last and a middle component. Not meant to be extended directly: extend {@link SandboxContractTest}.
 */
public abstract class MountSourceAttackContract extends SetIdAttackContract {
    private static final String SANDBOX_PATH = "/data";

    @Test
    @DisplayName("FILESYSTEM_VIEW: a read-only mount whose source (inside the workspace) is replaced by a symlink to a host dir: later execs never show the link's target")
    void readOnlySourceLastComponentLinked() throws Exception {
        assertLinkedSourceNotFollowed(false, false);
    }

    @Test
    @DisplayName("FILESYSTEM_VIEW: a read-write mount whose source (inside the workspace) is replaced by a symlink to a host dir: later execs neither show nor write the link's target")
    void readWriteSourceLastComponentLinked() throws Exception {
        assertLinkedSourceNotFollowed(true, false);
    }

    @Test
    @DisplayName("FILESYSTEM_VIEW: a read-only mount whose source's parent directory (inside the workspace) is replaced by a symlink: later execs never show the link's target")
    void readOnlySourceMiddleComponentLinked() throws Exception {
        assertLinkedSourceNotFollowed(false, true);
    }

    @Test
    @DisplayName("FILESYSTEM_VIEW: a read-write mount whose source's parent directory (inside the workspace) is replaced by a symlink: later execs neither show nor write the link's target")
    void readWriteSourceMiddleComponentLinked() throws Exception {
        assertLinkedSourceNotFollowed(true, true);
    }

    private void assertLinkedSourceNotFollowed(boolean readWrite, boolean middle) throws Exception {
        requires(Capability.FILESYSTEM_VIEW);
        String token = unique();
        String markerText = "HOST MARKER " + token;
        Path ws = Files.createTempDirectory(Path.of("/var/tmp"), "sandbox4j-contract-ws-");
        Path target = Files.createTempDirectory(Path.of("/var/tmp"), "sandbox4j-contract-target-");
        List<Sandbox> opened = new ArrayList<>();
        try {
            // any uid may write both: only the pinning, never a permission, may stop the attack
            Files.setPosixFilePermissions(ws, PosixFilePermissions.fromString("rwxrwxrwx"));
            Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwxrwxrwx"));
            String replaced = middle ? "mid" : "data";
            Path source = middle ? ws.resolve("mid").resolve("src") : ws.resolve("data");
            Files.createDirectories(source);
            for (Path d = source; !d.equals(ws); d = d.getParent()) {
                Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxrwxrwx"));
            }
            Files.writeString(source.resolve("original.txt"), "pinned original " + token);
            Path targetDir = middle ? Files.createDirectory(target.resolve("src")) : target;
            Files.setPosixFilePermissions(targetDir, PosixFilePermissions.fromString("rwxrwxrwx"));
            Path marker = targetDir.resolve("marker.txt");
            Files.writeString(marker, markerText);
            Files.setPosixFilePermissions(marker, PosixFilePermissions.fromString("rw-rw-rw-"));

            var fs = isolatedFilesystem().toBuilder();
            fs = readWrite ? fs.readWrite(source, SANDBOX_PATH) : fs.readOnly(source, SANDBOX_PATH);
            // a caller's workspace and a read-write mount cannot go with limits.disk: the core refuses them
            IsolationPolicy policy = basePolicyForHostDirs().toBuilder().filesystem(fs.build()).build();
            String kind = (readWrite ? "read-write" : "read-only") + " mount of " + source + " at " + SANDBOX_PATH;

            Sandbox first;
            try {
                first = newSandbox(policy, b -> b.workspace(ws));
            } catch (UnsupportedPolicyException | InvalidInputException refused) {
                Assumptions.abort(backendName() + " refuses a " + kind + " whose source lies inside the workspace, so the"
                        + " link cannot be planted through it: " + refused.getMessage());
                return;
            }
            opened.add(first);
            ExecResult before = assertSucceeded(first.exec(Command.of("cat", SANDBOX_PATH + "/original.txt")));
            assertThat(before.stdout()).as("the %s shows the source before the attack", kind).isEqualTo("pinned original " + token);

            // exec 1: the sandbox replaces a component of the source path with a link to the host directory
            ExecResult swap = first.exec(Command.shell("cd " + first.workspacePath() + " && mv " + replaced + " " + replaced
                    + ".orig && ln -s " + target + " " + replaced + " && ls -l " + replaced));
            assertSucceeded(swap);
            assertThat(Files.isSymbolicLink(ws.resolve(replaced))).as("the link %s on the host", ws.resolve(replaced)).isTrue();

            List<String> leaks = new ArrayList<>();
            for (int exec = 2; exec <= 3; exec++) {
                String probe = "cat " + SANDBOX_PATH + "/marker.txt " + SANDBOX_PATH + "/original.txt; ls -la " + SANDBOX_PATH
                        + (readWrite ? "; echo from-exec-" + exec + " > " + SANDBOX_PATH + "/written-" + exec : "");
                leaks.addAll(probeForMarker(first, probe, markerText, "exec " + exec));
            }
            assertThat(Files.readString(marker)).as("the host marker file after the attack").isEqualTo(markerText);
            assertThat(listNames(targetDir)).as("entries of the host directory %s after the attack (written through the"
                    + " link?)", targetDir).containsOnly("marker.txt");
            first.close();

            // a second sandbox on the same paths, the link in place
            Sandbox second = null;
            try {
                second = newSandbox(policy, b -> b.workspace(ws));
                opened.add(second);
            } catch (InvalidInputException refused) {
                assertThat(refused.getMessage()).as("build() refusing the linked source must name it")
                        .contains(source.toString()).containsIgnoringCase("link");
            }
            if (second != null) {
                leaks.addAll(probeForMarker(second, "cat " + SANDBOX_PATH + "/marker.txt; ls -la " + SANDBOX_PATH
                        + (readWrite ? "; echo from-second > " + SANDBOX_PATH + "/written-second" : ""), markerText,
                        "a second sandbox built on the linked path"));
                second.close();
                assertThat(listNames(targetDir)).as("entries of the host directory %s after the second sandbox", targetDir)
                        .containsOnly("marker.txt");
            }
            assertThat(leaks).as("execs of %s that showed the host directory %s, the target of the link the sandbox"
                    + " planted at %s", backendName(), target, ws.resolve(replaced)).isEmpty();
        } finally {
            opened.forEach(Sandbox::close);
            HostProbes.deleteTree(ws);
            HostProbes.deleteTree(target);
        }
    }

    /** Runs {@code script}; returns a line when its output shows the marker (an exec that fails is fine). */
    private List<String> probeForMarker(Sandbox s, String script, String markerText, String what) {
        ExecResult r;
        try {
            r = s.exec(Command.shell(script));
        } catch (SandboxException failed) {
            System.out.println("[attack] " + backendName() + ": " + what + " after the link failed (allowed): " + failed);
            return List.of();
        }
        if (r.stdout().contains(markerText)) {
            return List.of(what + ": " + r + "\nstdout: " + r.stdout() + "\nstderr: " + r.stderr());
        }
        System.out.println("[attack] " + backendName() + ": " + what + " after the link: " + r + ", stdout: "
                + r.stdout().strip().replace('\n', '|'));
        return List.of();
    }

    private static Set<String> listNames(Path dir) throws Exception {
        try (var list = Files.list(dir)) {
            return list.filter(p -> Files.exists(p, LinkOption.NOFOLLOW_LINKS)).map(p -> p.getFileName().toString())
                    .collect(Collectors.toSet());
        }
    }
}
