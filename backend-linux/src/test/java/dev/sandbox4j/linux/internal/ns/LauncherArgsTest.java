package dev.sandbox4j.linux.internal.ns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandbox4j.FilesystemPolicy;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.Mount;
import dev.sandbox4j.NetworkPolicy;
import dev.sandbox4j.ProcessPolicy;
import dev.sandbox4j.SandboxImage;
import dev.sandbox4j.SandboxStartException;
import dev.sandbox4j.SyscallPolicy;
import dev.sandbox4j.linux.internal.plan.HostFacts;
import dev.sandbox4j.linux.internal.plan.SandboxPlan;
import dev.sandbox4j.spi.EventSink;
import dev.sandbox4j.spi.ProcessRequest;
import dev.sandbox4j.spi.SandboxSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The plan-to-arguments adapter, without running anything (no seccomp filter, so no libseccomp needed). */
class LauncherArgsTest {
    @TempDir
    Path tmp;
    Path ws;
    Path data;

    @BeforeEach
    void dirs() throws IOException {
        ws = Files.createDirectories(tmp.resolve("ws"));
        data = Files.createDirectories(tmp.resolve("data"));
    }

    private static IsolationPolicy noFilter(IsolationPolicy p) {
        return p.toBuilder().syscalls(SyscallPolicy.allowAll()).build();
    }

    private List<String> args(IsolationPolicy policy, Optional<int[]> hostIds) {
        SandboxSpec spec = new SandboxSpec("sb1", "1-2-ab", policy, SandboxImage.host(), ws, Map.of(), EventSink.discard());
        HostFacts facts = new HostFacts(0, 0, tmp.resolve("private"), List.of(Path.of("/sys/fs/cgroup/pids/x/cgroup.procs")),
                HostFacts.REAL);
        SandboxPlan plan = SandboxPlan.from(spec, new ProcessRequest(List.of("sh", "-c", "echo $SECRET"),
                Map.of("PATH", "/usr/bin:/bin", "SECRET", "hunter2"), "/workspace"), facts);
        Set<Mount> ownRo = Set.copyOf(policy.filesystem().mounts().stream().filter(m -> !m.writable()).toList());
        return LauncherArgs.of(plan, new LauncherArgs.Context(policy.network().mode(), ownRo, ws, Optional.empty(), 4242,
                hostIds, new int[] {0, 0}));
    }

    /** The values following each occurrence of {@code flag}, {@code width} at a time, joined by spaces. */
    private static List<String> values(List<String> args, String flag, int width) {
        List<String> out = new ArrayList<>();
        int end = args.indexOf("--");
        for (int i = 0; i < end; i++) {
            if (args.get(i).equals(flag)) {
                out.add(String.join(" ", args.subList(i + 1, i + 1 + width)));
            }
        }
        return out;
    }

    @Test
    void strictPolicyBecomesTheLaunchersFlags() {
        List<String> a = args(noFilter(IsolationPolicy.strict()), Optional.of(new int[] {65534, 65534}));
        assertThat(values(a, "--parent-pid", 1)).containsExactly("4242");
        assertThat(values(a, "--uid", 1)).containsExactly("65534");
        assertThat(values(a, "--gid", 1)).containsExactly("65534");
        assertThat(values(a, "--host-uid", 1)).containsExactly("65534");
        assertThat(values(a, "--net", 1)).as("strict: own netns, loopback down").containsExactly("none");
        assertThat(values(a, "--rlimit", 1)).containsExactly("fsize=" + (64L << 20), "nofile=256");
        assertThat(values(a, "--cgroup-procs", 1)).containsExactly("/sys/fs/cgroup/pids/x/cgroup.procs");
        assertThat(values(a, "--bind-own", 2)).containsExactly(ws + " /workspace");
        assertThat(values(a, "--ro-bind", 2)).contains("/usr /usr");
        assertThat(values(a, "--tmpfs", 3)).containsExactly("/tmp " + (512L << 20) + " 1777");
        assertThat(values(a, "--proc", 1)).containsExactly("/proc");
        assertThat(values(a, "--dev", 1)).containsExactly("/dev");
        assertThat(values(a, "--remount-ro", 1)).containsExactly("/");
        assertThat(values(a, "--chdir", 1)).containsExactly("/workspace");
        assertThat(values(a, "--setenv", 1)).containsExactly("PATH=/usr/bin:/bin", "SECRET=hunter2");
        assertThat(a).doesNotContain("--keep-all-caps", "--seccomp", "--keep-cap");
        assertThat(a.subList(a.indexOf("--") + 1, a.size())).containsExactly("sh", "-c", "echo $SECRET");
        assertThat(a.indexOf("--remount-ro")).as("the root is made read-only after every mount").isGreaterThan(a.lastIndexOf("--bind-own"));
    }

    @Test
    void policyMountsAreOwnBindsAndTheImageIsNot() {
        IsolationPolicy p = noFilter(IsolationPolicy.strict().toBuilder()
                .filesystem(f -> f.readOnly(data, "/data").readWrite(tmp, "/scratch")).build());
        List<String> a = args(p, Optional.empty());
        assertThat(values(a, "--ro-bind-own", 2)).containsExactly(data + " /data");
        assertThat(values(a, "--bind-own", 2)).containsExactlyInAnyOrder(ws + " /workspace", tmp + " /scratch");
        assertThat(values(a, "--ro-bind", 2)).doesNotContain(data + " /data").contains("/usr /usr");
        assertThat(a).as("not root: no host ids to switch to").doesNotContain("--host-uid");
    }

    @Test
    void networkModes() {
        assertThat(values(args(noFilter(IsolationPolicy.strict().toBuilder().network(NetworkPolicy.loopback()).build()),
                Optional.empty()), "--net", 1)).containsExactly("loopback");
        assertThat(values(args(noFilter(IsolationPolicy.strict().toBuilder().network(NetworkPolicy.host()).build()),
                Optional.empty()), "--net", 1)).containsExactly("host");
    }

    @Test
    void capabilitiesByNumberOrAllKept() {
        IsolationPolicy keep = noFilter(IsolationPolicy.strict().toBuilder().process(new ProcessPolicy(true,
                OptionalInt.of(1000), true, true, Set.of("CAP_NET_BIND_SERVICE", "CAP_CHOWN"))).build());
        List<String> a = args(keep, Optional.empty());
        assertThat(values(a, "--keep-cap", 1)).containsExactly("0", "10");
        assertThat(values(a, "--uid", 1)).containsExactly("1000");
        IsolationPolicy none = noFilter(IsolationPolicy.strict().toBuilder().process(new ProcessPolicy(true,
                OptionalInt.empty(), false, false, Set.of())).build());
        List<String> b = args(none, Optional.empty());
        assertThat(b).contains("--keep-all-caps");
        assertThat(values(b, "--uid", 1)).as("no uid in the policy: the JVM's, as the plan assumes").containsExactly("0");
    }

    @Test
    void unknownCapabilityIsRefusedByName() {
        IsolationPolicy bad = noFilter(IsolationPolicy.strict().toBuilder().process(new ProcessPolicy(true,
                OptionalInt.of(1000), true, true, Set.of("CAP_NOT_A_THING"))).build());
        assertThatThrownBy(() -> args(bad, Optional.empty())).isInstanceOf(SandboxStartException.class)
                .hasMessageContaining("CAP_NOT_A_THING is not a Linux capability");
    }

    @Test
    void hostFileSystemShowsTheWorkspaceAtItsOwnPath() {
        IsolationPolicy p = noFilter(IsolationPolicy.permissive().toBuilder().filesystem(FilesystemPolicy.host()).build());
        List<String> a = args(p, Optional.empty());
        assertThat(values(a, "--dev-bind", 2)).containsExactly("/ /");
        assertThat(values(a, "--bind-own", 2)).as("no mount point has to be made on the host's real root")
                .containsExactly(ws + " " + ws);
        SandboxSpec spec = new SandboxSpec("sb1", "1-2-ab", p, SandboxImage.host(), ws, Map.of(), EventSink.discard());
        SandboxPlan plan = SandboxPlan.session(spec, new HostFacts(0, 0, tmp, List.of(), HostFacts.REAL));
        assertThat(LauncherArgs.workspaceInside(plan, ws)).isEqualTo(ws.toString());
    }
}
