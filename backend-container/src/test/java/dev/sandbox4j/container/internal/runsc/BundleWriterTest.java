package dev.sandbox4j.container.internal.runsc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.SyscallPolicy;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bundle's pieces without runsc: unpacking hostile tarballs, the OCI seccomp form, config.json. */
class BundleWriterTest {
    @TempDir
    Path tmp;

    private static byte[] tar(Object... entries) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (TarArchiveOutputStream t = new TarArchiveOutputStream(b)) {
            for (int i = 0; i < entries.length; i += 2) {
                String name = (String) entries[i];
                Object v = entries[i + 1];
                TarArchiveEntry e;
                if (v instanceof Path link) {
                    e = new TarArchiveEntry(name, TarArchiveEntry.LF_SYMLINK);
                    e.setLinkName(link.toString());
                    t.putArchiveEntry(e);
                } else {
                    byte[] content = ((String) v).getBytes(StandardCharsets.UTF_8);
                    e = new TarArchiveEntry(name);
                    e.setSize(content.length);
                    e.setMode(0104755);
                    t.putArchiveEntry(e);
                    t.write(content);
                }
                t.closeArchiveEntry();
            }
        }
        return b.toByteArray();
    }

    @Test
    void unpackRefusesDotDot() throws IOException {
        Path root = Files.createDirectory(tmp.resolve("rootfs"));
        assertThatThrownBy(() -> BundleWriter.unpack(tar("a/../../evil", "x"), root))
                .isInstanceOf(IOException.class).hasMessageContaining("leaves the root file system");
        assertThat(tmp.resolve("evil")).doesNotExist();
    }

    @Test
    void unpackNeverWritesThroughASymlink() throws IOException {
        Path root = Files.createDirectory(tmp.resolve("rootfs"));
        Path outside = Files.createDirectory(tmp.resolve("outside"));
        assertThatThrownBy(() -> BundleWriter.unpack(tar("link", outside, "link/owned", "x"), root))
                .isInstanceOf(IOException.class).hasMessageContaining("symlink");
        assertThat(outside.resolve("owned")).doesNotExist();
    }

    @Test
    void unpackDropsSetuid() throws IOException {
        Path root = Files.createDirectory(tmp.resolve("rootfs"));
        BundleWriter.unpack(tar("bin/tool", "#!/bin/sh\n"), root);
        assertThat(Files.getPosixFilePermissions(root.resolve("bin/tool"))).isEqualTo(BundleWriter.perms(0755));
        assertThat(Files.readString(root.resolve("bin/tool"))).isEqualTo("#!/bin/sh\n");
    }

    @Test
    void seccompInOciForm() {
        ObjectNode s = OciSeccomp.forSandbox(IsolationPolicy.strict().toBuilder()
                .syscalls(new SyscallPolicy(Set.of("unshare"), SyscallPolicy.Action.KILL)).build(), "amd64");
        assertThat(s.path("architectures").toString()).as("the native ABI only").isEqualTo("[\"SCMP_ARCH_X86_64\"]");
        boolean killRule = false;
        for (JsonNode r : s.path("syscalls")) {
            assertThat(r.has("includes") || r.has("excludes") || r.has("comment")).as("engine-only fields: %s", r).isFalse();
            assertThat(r.path("action").asText()).isNotEqualTo("SCMP_ACT_KILL_PROCESS");
            if (r.path("names").toString().contains("\"unshare\"")) {
                assertThat(r.path("action").asText()).isEqualTo("SCMP_ACT_KILL");
                killRule = true;
            }
        }
        assertThat(killRule).isTrue();
        // the table's rules come first: gVisor takes the first rule that matches
        assertThat(s.path("syscalls").get(0).path("names").get(0).asText()).isEqualTo("unshare");
        assertThat(s.path("syscalls").toString()).contains("\"chmod\"").contains("\"errnoRet\":38");
    }

    @Test
    void seccompForEverySandboxEvenWithoutAFilter() {
        ObjectNode s = OciSeccomp.forSandbox(IsolationPolicy.strict().toBuilder().syscalls(SyscallPolicy.allowAll()).build(),
                "amd64");
        assertThat(s.path("syscalls").get(0).path("names").get(0).asText()).as("the set-id guard").isEqualTo("chmod");
    }

    @Test
    void configJson() {
        BundlePlan plan = new BundlePlan("c1", "/sandbox4j-runsc-x", List.of("/.sandbox4j/init", "--", "sh"), List.of("PATH=/bin"),
                1879048200, 1879048201, List.of(new BundlePlan.OciMount("/proc", "proc", "proc", List.of()),
                BundlePlan.OciMount.bind("/ws", "/workspace", false)), List.of(new BundlePlan.Rlimit("RLIMIT_NOFILE", 77)),
                OptionalLong.of(1 << 27), OptionalLong.of(50_000), OciSeccomp.forSandbox(IsolationPolicy.strict(), "amd64"));
        ObjectNode c = BundleWriter.config(plan);
        assertThat(c.path("process").path("user").path("uid").asInt()).isEqualTo(1879048200);
        assertThat(c.path("process").path("user").path("gid").asInt()).isEqualTo(1879048201);
        assertThat(c.path("linux").path("seccomp").path("defaultAction").asText()).isEqualTo("SCMP_ACT_ERRNO");
        assertThat(c.path("mounts").get(1).path("options").toString()).contains("nosuid").contains("nodev");
        assertThat(c.path("process").path("noNewPrivileges").asBoolean()).isTrue();
        assertThat(c.path("process").path("capabilities").path("bounding")).isEmpty();
        assertThat(c.path("root").path("readonly").asBoolean()).isTrue();
        assertThat(c.path("linux").path("resources").path("memory").path("limit").asLong()).isEqualTo(1 << 27);
        assertThat(c.path("linux").path("resources").path("cpu").path("quota").asLong()).isEqualTo(50_000);
        assertThat(c.path("linux").path("cgroupsPath").asText()).isEqualTo("/sandbox4j-runsc-x");
        assertThat(c.path("mounts").get(1).path("options").toString()).contains("rw");
    }
}
