package dev.sandbox4j.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandbox4j.Command;
import dev.sandbox4j.DataSize;
import dev.sandbox4j.ExecResult;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.SandboxImage;
import dev.sandbox4j.UnsupportedPolicyException;
import dev.sandbox4j.spi.Capability;
import dev.sandbox4j.spi.IsolationLevel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The root layout that one policy gives on every backend, and what it never shows of the host: with
 * {@link SandboxImage#host()} an empty /home and /root that the sandbox cannot write (as a container's or
 * VM's image has them), a writable /tmp and /var/tmp of mode 1777 (strict's tmpfs paths), a writable
 * {@code $HOME}; with any image, the tmpfs paths writable and, with {@code limits.disk}, on the one bounded
 * storage; never a file of the host's /root or /home. Not meant to be extended directly: extend
 * {@link SandboxContractTest}.
 *
 * <p>The probes use the shell's own tests and {@code find} only: GNU {@code ls} and {@code stat} call statx,
 * which some gVisor releases answer with EINVAL.
 */
public abstract class LayoutContract extends BackgroundContract {
    private static final DataSize DISK = DataSize.ofMiB(16);

    /**
     * One line per path, and one for {@code $HOME} named HOME: {@code PATH kind=dir|link|other|missing entries=N
     * writable=0|1 worldwritable=0|1 sticky=0|1}; writable: the sandbox's user could create a file in it.
     */
    private static final String LAYOUT_SCRIPT = """
            probe() {
              d=$2
              if [ -L "$d" ]; then k=link; elif [ -d "$d" ]; then k=dir; elif [ -e "$d" ]; then k=other; else k=missing; fi
              n=0
              if [ "$k" = dir ]; then
                for e in "$d"/* "$d"/.[!.]* "$d"/..?*; do if [ -e "$e" ] || [ -L "$e" ]; then n=$((n+1)); fi; done
              fi
              w=0; p="$d/.sandbox4j-layout-$$"
              if ( : > "$p" ) 2>/dev/null; then w=1; rm -f "$p"; fi
              ww=0; [ -n "$(find "$d" -maxdepth 0 -perm -0002 2>/dev/null)" ] && ww=1
              st=0; [ -n "$(find "$d" -maxdepth 0 -perm -1000 2>/dev/null)" ] && st=1
              echo "$1 kind=$k entries=$n writable=$w worldwritable=$ww sticky=$st"
            }
            for d in / /home /root /tmp /var/tmp; do probe "$d" "$d"; done
            probe HOME "${HOME:-/nonexistent}"
            """;

    @Test
    @DisplayName("IMAGE_HOST: the host image's root, which the sandbox cannot write, has an empty /home and /root the sandbox cannot write, and an empty, writable /tmp and /var/tmp of mode 1777 (as containers and VMs have)")
    void hostImageRootLayout() {
        requires(Capability.FILESYSTEM_VIEW, Capability.IMAGE_HOST, Capability.TMPFS);
        IsolationPolicy policy = basePolicy().toBuilder().filesystem(isolatedFilesystem().toBuilder().tmpfs("/tmp")
                .tmpfs("/var/tmp").build()).build();
        Sandbox s = newSandbox(policy, b -> b.image(SandboxImage.host()));
        Map<String, Map<String, String>> layout = layout(s);
        assertThat(layout.get("/")).as("the root of the host image's view of %s (all: %s)", backendName(), layout)
                .containsEntry("kind", "dir").containsEntry("writable", "0").containsEntry("worldwritable", "0");
        for (String d : List.of("/home", "/root")) {
            assertThat(layout.get(d)).as("%s in the host image's view of %s (all: %s)", d, backendName(), layout)
                    .containsEntry("kind", "dir").containsEntry("entries", "0").containsEntry("writable", "0")
                    .containsEntry("worldwritable", "0");
        }
        for (String d : List.of("/tmp", "/var/tmp")) {
            assertThat(layout.get(d)).as("%s in a fresh sandbox of %s on the host image (all: %s)", d, backendName(), layout)
                    .containsEntry("kind", "dir").containsEntry("entries", "0").containsEntry("writable", "1")
                    .containsEntry("worldwritable", "1").containsEntry("sticky", "1");
        }
    }

    @Test
    @DisplayName("TMPFS: with the kit's image, /tmp and /var/tmp are writable directories of mode 1777 and $HOME is a writable directory")
    void tmpfsPathsAndHomeWritableInTheImage() {
        requires(Capability.FILESYSTEM_VIEW, Capability.TMPFS);
        IsolationPolicy policy = basePolicy().toBuilder().filesystem(isolatedFilesystem().toBuilder().tmpfs("/tmp")
                .tmpfs("/var/tmp").build()).build();
        Map<String, Map<String, String>> layout = layout(newSandbox(policy));
        for (String d : List.of("/tmp", "/var/tmp")) {
            assertThat(layout.get(d)).as("%s in %s's image (all: %s)", d, backendName(), layout).containsEntry("kind", "dir")
                    .containsEntry("writable", "1").containsEntry("worldwritable", "1").containsEntry("sticky", "1");
        }
        assertThat(layout.get("HOME")).as("$HOME (the environment policy's, %s) in %s (all: %s)", basePolicy().environment(), backendName(),
                layout).containsEntry("kind", "dir").containsEntry("writable", "1");
    }

    @Test
    @DisplayName("FILESYSTEM_VIEW: a file in the host's /root or /home is in no view (No such file), with the host image or the kit's")
    void hostHomeAndRootInvisible() throws IOException {
        requires(Capability.FILESYSTEM_VIEW);
        requiresIsolation("the host's /root and /home are not visible");
        String token = unique();
        List<Path> markers = new ArrayList<>();
        Path homeDir = null;
        try {
            if (HostProbes.jvmIsRoot()) {
                markers.add(marker(Path.of("/root"), token));
                homeDir = Files.createTempDirectory(Path.of("/home"), "sandbox4j-layout-");
            } else {
                Path own = Path.of(System.getProperty("user.home"));
                if (own.startsWith("/home") && Files.isWritable(own)) {
                    homeDir = Files.createTempDirectory(own, "sandbox4j-layout-");
                } else {
                    System.out.println("[contract] " + backendName() + ": this JVM (uid " + HostProbes.jvmUid()
                            + ") can write neither /root nor a directory below /home (home " + own + "): no marker");
                }
            }
            if (homeDir != null) {
                markers.add(marker(homeDir, token));
            }
            if (markers.isEmpty()) {
                Assumptions.abort("this JVM can place no marker in the host's /root or /home");
            }
            List<Sandbox> views = new ArrayList<>(List.of(sandbox()));
            if (capabilities().contains(Capability.IMAGE_HOST)) {
                views.add(newSandbox(basePolicy(), b -> b.image(SandboxImage.host())));
            }
            for (Sandbox s : views) {
                for (Path m : markers) {
                    ExecResult r = s.exec(Command.of("cat", m.toString()));
                    assertThat(r.exitCode()).as("cat %s (the host's) inside %s: %s", m, backendName(), r).isNotZero();
                    assertThat(r.stdout()).doesNotContain(token);
                    assertThat(r.stderr()).as("how cat %s failed", m).contains("No such file");
                }
                ExecResult found = s.exec(Command.shell("find / \\( -path /proc -o -path /sys -o -path /dev -o -path /usr \\)"
                        + " -prune -o -name '*" + token + "*' -print 2>/dev/null; true").timeout(Duration.ofMinutes(2)));
                assertThat(found.stdout()).as("files named after the host's markers anywhere in %s's view: %s", backendName(),
                        found).doesNotContain(token);
            }
        } finally {
            for (Path m : markers) {
                Files.deleteIfExists(m);
            }
            if (homeDir != null) {
                HostProbes.deleteTree(homeDir);
            }
        }
    }

    @Test
    @DisplayName("DISK_LIMIT: /var/tmp lies on the sandbox's bounded storage: 20m written to /var/tmp and the workspace under a 16m limit fails with No space left on device")
    void varTmpCountsInTheDiskLimit() {
        requires(Capability.DISK_LIMIT, Capability.TMPFS);
        if (info().isolation() == IsolationLevel.VIRTUAL_MACHINE) {
            Assumptions.abort(backendName() + ": a VM's tmpfs paths are in the guest's RAM, bounded by its memory, not on"
                    + " the host's storage (the disk limit bounds the workspace there)");
        }
        IsolationPolicy policy = basePolicy().toBuilder().filesystem(isolatedFilesystem().toBuilder().tmpfs("/var/tmp")
                .build()).limits(l -> l.disk(DISK)).build();
        Sandbox s;
        try {
            s = newSandbox(policy);
        } catch (UnsupportedPolicyException refused) {
            if (HostProbes.jvmIsRoot()) {
                throw refused;
            }
            assertThat(refused).hasMessageContaining("limits.disk");
            Assumptions.abort(backendName() + " refuses limits.disk under a JVM of uid " + HostProbes.jvmUid() + ": "
                    + refused.getMessage());
            return;
        }
        requireTool(s, "dd", "/var/tmp in the disk limit");
        String ws = s.workspacePath();
        ExecResult r = s.exec(Command.shell("dd if=/dev/zero of=/var/tmp/fill-a bs=1048576 count=10; a=$?;"
                + " dd if=/dev/zero of=" + ws + "/fill-b bs=1048576 count=10; b=$?; echo \"a=$a b=$b\";"
                + " [ $a -eq 0 ] && [ $b -eq 0 ]").timeout(Duration.ofMinutes(2)));
        assertThat(r.exitCode()).as("20m into /var/tmp and the workspace under a 16m disk limit: %s%nstdout: %s%nstderr: %s",
                r, r.stdout(), r.stderr()).isNotZero();
        assertThat(r.stderr()).as("how the write failed").contains("No space left on device");
        assertSucceeded(s.exec(Command.shell("rm -f /var/tmp/fill-a " + ws + "/fill-b")));
    }

    private Map<String, Map<String, String>> layout(Sandbox s) {
        ExecResult r = assertSucceeded(s.exec(Command.shell(LAYOUT_SCRIPT)));
        Map<String, Map<String, String>> out = new LinkedHashMap<>();
        for (String line : r.stdout().strip().split("\n")) {
            String[] f = line.split(" ");
            Map<String, String> fields = new LinkedHashMap<>();
            for (int i = 1; i < f.length; i++) {
                String[] kv = f[i].split("=", 2);
                fields.put(kv[0], kv.length > 1 ? kv[1] : "");
            }
            out.putIfAbsent(f[0], fields);
        }
        return out;
    }

    private static Path marker(Path dir, String token) throws IOException {
        Path m = dir.resolve("sandbox4j-layout-" + token);
        Files.writeString(m, "host marker " + token);
        return m;
    }
}
