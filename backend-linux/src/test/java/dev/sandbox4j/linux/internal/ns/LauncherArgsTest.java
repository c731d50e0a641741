package dev.sandbox4j.linux.internal.ns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandbox4j.FilesystemPolicy;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.NetworkPolicy;
import dev.sandbox4j.ProcessPolicy;
import dev.sandbox4j.SandboxImage;
import dev.sandbox4j.SandboxStartException;
import dev.sandbox4j.SyscallPolicy;
import dev.sandbox4j.linux.internal.plan.HostFacts;
import dev.sandbox4j.linux.internal.plan.HostPath;
import dev.sandbox4j.linux.internal.plan.SandboxPlan;
import dev.sandbox4j.linux.internal.plan.Step;
import dev.sandbox4j.spi.HostIds;
import dev.sandbox4j.spi.PinnedPath;
import dev.sandbox4j.spi.ProcessRequest;
import dev.sandbox4j.spi.SandboxSpec;
import dev.sandbox4j.testkit.TestSpecs;
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

/** The plan-to-arguments adapter, without running anything. */
class LauncherArgsTest {
    /** The sandbox's own host ids; the facts say the JVM is root. */
    private static final HostIds OWN = new HostIds(1879048300, 1879048300, true);

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

    private SandboxPlan plan(IsolationPolicy policy, int jvmUid, HostIds ids) {
        SandboxSpec spec = TestSpecs.spec("sb1", policy, SandboxImage.host(), ws, Map.of(), ids);
        HostFacts facts = new HostFacts(jvmUid, jvmUid, tmp.resolve("private"), List.of(Path.of("/sys/fs/cgroup/pids/x/cgroup.procs")),
                HostFacts.REAL);
        return SandboxPlan.from(spec, new ProcessRequest(List.of("sh", "-c", "echo $SECRET"),
                Map.of("PATH", "/usr/bin:/bin", "SECRET", "hunter2"), "/workspace"), facts);
    }

    private List<String> args(IsolationPolicy policy) {
        return LauncherArgs.of(plan(policy, 0, OWN), new LauncherArgs.Context(4242, tmp.resolve("private/seccomp.bpf")));
    }

    private static String pin(Path p) {
        try (PinnedPath pinned = PinnedPath.pin(p, "test")) {
            return HostPath.of(pinned).pin();
        }
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
        List<String> a = args(IsolationPolicy.strict());
        assertThat(values(a, "--parent-pid", 1)).containsExactly("4242");
        assertThat(values(a, "--user", 1)).as("the sandbox's own user inside, its own host ids outside")
                .containsExactly("65534:65534:1879048300:1879048300");
        assertThat(values(a, "--idmap", 1)).as("the JVM's (root's) files shown as the sandbox's host user's")
                .containsExactly("0:0:1879048300:1879048300");
        assertThat(values(a, "--seccomp", 1)).containsExactly(tmp.resolve("private/seccomp.bpf").toString());
        assertThat(values(a, "--net", 1)).as("strict: own netns, loopback down").containsExactly("none");
        assertThat(values(a, "--rlimit", 1)).containsExactly("fsize=" + (64L << 20), "nofile=256");
        assertThat(values(a, "--cgroup-procs", 1)).containsExactly("/sys/fs/cgroup/pids/x/cgroup.procs");
        assertThat(values(a, "--bind-own", 3)).as("every bind names its pin").containsExactly(pin(ws) + " " + ws + " /workspace");
        assertThat(values(a, "--ro-bind", 3)).contains(pin(Path.of("/usr")) + " /usr /usr");
        assertThat(values(a, "--tmpfs", 3)).containsExactly("/tmp " + (512L << 20) + " 1777", "/var/tmp " + (512L << 20) + " 1777");
        assertThat(values(a, "--dir", 2)).as("the host image's empty /home and /root").containsExactly("/home 755", "/root 755", "/var 755");
        assertThat(values(a, "--proc", 1)).containsExactly("/proc");
        assertThat(values(a, "--dev", 1)).containsExactly("/dev");
        assertThat(values(a, "--remount-ro", 1)).containsExactly("/");
        assertThat(values(a, "--chdir", 1)).containsExactly("/workspace");
        assertThat(values(a, "--setenv", 1)).containsExactly("PATH=/usr/bin:/bin", "SECRET=hunter2");
        assertThat(a).contains("--disable-userns").doesNotContain("--keep-all-caps", "--keep-cap", "--uid", "--host-uid");
        assertThat(a.subList(a.indexOf("--") + 1, a.size())).containsExactly("sh", "-c", "echo $SECRET");
        assertThat(a.indexOf("--remount-ro")).as("the root is made read-only after every mount").isGreaterThan(a.lastIndexOf("--bind-own"));
    }

    @Test
    void theSeccompProgramIsPassedAlsoWithoutAFilter() {
        assertThat(values(args(noFilter(IsolationPolicy.strict())), "--seccomp", 1)).hasSize(1);
    }

    @Test
    void policyMountsAreIdmappedAndTheImageIsNot() {
        IsolationPolicy p = IsolationPolicy.strict().toBuilder()
                .filesystem(f -> f.readOnly(data, "/data").readWrite(tmp.resolve("data"), "/scratch")).build();
        List<String> a = args(p);
        assertThat(values(a, "--ro-bind-own", 3)).containsExactly(pin(data) + " " + data + " /data");
        assertThat(values(a, "--bind-own", 3)).containsExactlyInAnyOrder(pin(ws) + " " + ws + " /workspace",
                pin(data) + " " + data + " /scratch");
        assertThat(values(a, "--ro-bind", 3)).noneMatch(v -> v.endsWith(" /data"));
    }

    @Test
    void aJvmThatIsNotRootMapsItsOwnIdsAndIdmapsNothing() {
        List<String> a = LauncherArgs.of(plan(IsolationPolicy.strict(), 4000, new HostIds(4000, 4000, false)),
                new LauncherArgs.Context(1, tmp.resolve("s")));
        assertThat(values(a, "--user", 1)).containsExactly("65534:65534:4000:4000");
        assertThat(a).doesNotContain("--idmap", "--bind-own", "--ro-bind-own");
        assertThat(values(a, "--bind", 3)).containsExactly(pin(ws) + " " + ws + " /workspace");
    }

    @Test
    void networkModes() {
        assertThat(values(args(IsolationPolicy.strict().toBuilder().network(NetworkPolicy.loopback()).build()), "--net", 1))
                .containsExactly("loopback");
        assertThat(values(args(IsolationPolicy.strict().toBuilder().network(NetworkPolicy.host()).build()), "--net", 1))
                .containsExactly("host");
    }

    @Test
    void capabilitiesByNumberOrAllKept() {
        IsolationPolicy keep = IsolationPolicy.strict().toBuilder().process(new ProcessPolicy(true,
                OptionalInt.of(1000), true, true, Set.of("CAP_NET_BIND_SERVICE", "CAP_CHOWN"))).build();
        List<String> a = args(keep);
        assertThat(values(a, "--keep-cap", 1)).containsExactly("0", "10");
        assertThat(values(a, "--user", 1)).containsExactly("1000:1000:1879048300:1879048300");
        IsolationPolicy none = IsolationPolicy.strict().toBuilder().process(new ProcessPolicy(true,
                OptionalInt.empty(), false, false, Set.of())).build();
        List<String> b = args(none);
        assertThat(b).contains("--keep-all-caps");
        assertThat(values(b, "--user", 1)).as("no uid in the policy: the sandbox's own user, 65534 inside")
                .containsExactly("65534:65534:1879048300:1879048300");
    }

    @Test
    void unknownCapabilityIsRefusedByName() {
        IsolationPolicy bad = IsolationPolicy.strict().toBuilder().process(new ProcessPolicy(true,
                OptionalInt.of(1000), true, true, Set.of("CAP_NOT_A_THING"))).build();
        assertThatThrownBy(() -> args(bad)).isInstanceOf(SandboxStartException.class)
                .hasMessageContaining("CAP_NOT_A_THING is not a Linux capability");
    }

    @Test
    void anUnpinnedSourceIsRefused() {
        SandboxPlan plan = plan(IsolationPolicy.strict(), 0, OWN);
        List<Step> steps = new ArrayList<>(plan.steps());
        steps.add(steps.size() - 4, new Step.BindRo(HostPath.byName(data, true), "/x", Optional.empty(), Step.Origin.GENERATED));
        assertThatThrownBy(() -> LauncherArgs.of(new SandboxPlan(steps, plan.generatedFiles()), new LauncherArgs.Context(1, tmp)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("never pinned");
    }

    @Test
    void hostFileSystemShowsTheWorkspaceAtItsOwnPath() {
        IsolationPolicy p = IsolationPolicy.permissive().toBuilder().filesystem(FilesystemPolicy.host()).build();
        List<String> a = args(p);
        assertThat(values(a, "--dev-bind", 3)).containsExactly(pin(Path.of("/")) + " / /");
        assertThat(values(a, "--bind-own", 3)).as("no mount point has to be made on the host's real root")
                .containsExactly(pin(ws) + " " + ws + " " + ws);
        SandboxPlan plan = SandboxPlan.session(TestSpecs.spec("sb1", p, SandboxImage.host(), ws, Map.of(), OWN),
                new HostFacts(0, 0, tmp, List.of(), HostFacts.REAL));
        assertThat(LauncherArgs.workspaceInside(plan)).isEqualTo(ws.toString());
    }
}
