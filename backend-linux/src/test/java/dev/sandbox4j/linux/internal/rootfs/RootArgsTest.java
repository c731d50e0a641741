package dev.sandbox4j.linux.internal.rootfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandbox4j.DataSize;
import dev.sandbox4j.InvalidInputException;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.NetworkPolicy;
import dev.sandbox4j.SandboxImage;
import dev.sandbox4j.SyscallPolicy;
import dev.sandbox4j.linux.internal.host.PrivateDirs;
import dev.sandbox4j.linux.internal.plan.HostFacts;
import dev.sandbox4j.linux.internal.plan.HostPath;
import dev.sandbox4j.linux.internal.plan.SandboxPlan;
import dev.sandbox4j.linux.internal.plan.Step;
import dev.sandbox4j.spi.EventSink;
import dev.sandbox4j.spi.HostIds;
import dev.sandbox4j.spi.PinnedPath;
import dev.sandbox4j.spi.SandboxHost;
import dev.sandbox4j.spi.SandboxSpec;
import dev.sandbox4j.spi.SandboxStorage;
import dev.sandbox4j.spi.SessionLabels;
import dev.sandbox4j.testkit.TestSpecs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The arguments of {@code s4j-launch --build-root}, the one executor of the chroot and nspawn roots, from real
 * plans (the host's /usr and /etc), for both engines: every bind by its pin, the sandbox's own files idmapped
 * onto the sandbox's own host ids, /proc and /dev as each engine needs them, the root read-only last, the
 * holder's cleanup; no mount inside the writable workspace; the disk storage at the tmpfs paths; and the plan as
 * each engine carries it out. Needs no root.
 */
class RootArgsTest {
    private static final HostIds OWN = new HostIds(1879048200, 1879048200, true);
    private Path dir;
    private Path ws;

    @BeforeEach
    void setUp() throws IOException {
        dir = Files.createTempDirectory("sandbox4j-rootargs-test-").toRealPath();
        ws = Files.createDirectory(dir.resolve("ws"));
    }

    @AfterEach
    void tearDown() {
        PrivateDirs.delete(dir);
    }

    private SandboxPlan plan(IsolationPolicy policy, SandboxImage image, Engine engine) {
        return plan(TestSpecs.spec("abc123", policy, image, ws, Map.of(), OWN), engine);
    }

    private SandboxPlan plan(SandboxSpec spec, Engine engine) {
        SandboxSpec own = RootfsPolicy.ownUser(engine.backend(), spec);
        return EnginePlan.of(SandboxPlan.session(own, HostFacts.current(dir, List.of())), engine);
    }

    private List<String> args(SandboxPlan plan, Engine engine) {
        return RootArgs.of(plan, engine, dir.resolve("root"), List.of(Path.of("/sys/fs/cgroup/cg-x")),
                engine == Engine.NSPAWN ? List.of(Path.of("/sys/fs/cgroup/systemd/cg-x")) : List.of());
    }

    private static IsolationPolicy chrootPolicy() {
        return IsolationPolicy.strict().toBuilder().network(NetworkPolicy.host()).syscalls(SyscallPolicy.allowAll())
                .limits(l -> l.noDiskLimit()).build();
    }

    private static String pin(Path p) throws IOException {
        return Files.getAttribute(p, "unix:dev") + ":" + Files.getAttribute(p, "unix:ino");
    }

    /** The values after each occurrence of {@code flag}, {@code n} at a time, joined by spaces. */
    private static List<String> values(List<String> args, String flag, int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            if (args.get(i).equals(flag)) {
                out.add(String.join(" ", args.subList(i + 1, i + 1 + n)));
            }
        }
        return out;
    }

    @Test
    void chrootRootFromTheHostImage() throws IOException {
        List<String> a = args(plan(chrootPolicy(), SandboxImage.host(), Engine.CHROOT), Engine.CHROOT);
        assertThat(a.subList(0, 4)).containsExactly("--root", dir.resolve("root").toString(), "--net", "host");
        int jvmUid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        int jvmGid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:gid");
        assertThat(values(a, "--idmap", 1)).as("the JVM's files are the sandbox's own host user's inside")
                .containsExactly(jvmUid + ":" + jvmGid + ":1879048200:1879048200");
        assertThat(values(a, "--cleanup-cgroup", 1)).containsExactly("/sys/fs/cgroup/cg-x");
        assertThat(a).doesNotContain("--run-tmpfs", "--cleanup-dir", "--proc", "--dev", "--mount-point");
        assertThat(values(a, "--ro-bind", 3)).contains(pin(Path.of("/usr")) + " /usr /usr");
        assertThat(values(a, "--bind-own", 3)).as("the workspace, by its pin, idmapped")
                .containsExactly(pin(ws) + " " + ws + " /workspace");
        assertThat(values(a, "--dev-nodes", 1)).containsExactly("/dev");
        assertThat(values(a, "--tmpfs", 3)).containsExactly("/tmp " + DataSize.ofMiB(512).bytes() + " 1777",
                "/var/tmp " + DataSize.ofMiB(512).bytes() + " 1777");
        assertThat(values(a, "--dir", 2)).as("the host image's empty /home and /root").containsExactly("/home 755", "/root 755", "/var 755");
        assertThat(values(a, "--ro-bind", 3)).as("generated files are pinned too")
                .anyMatch(v -> v.endsWith(dir.resolve("files/etc/passwd") + " /etc/passwd"));
        assertThat(a.subList(a.size() - 2, a.size())).containsExactly("--remount-ro", "/");
        assertThat(Files.readString(dir.resolve("files/etc/passwd"))).as("the sandbox's own host uid has a name")
                .contains("sandbox:x:1879048200:1879048200:");
    }

    @Test
    void nspawnGetsMountPointsAPrivateRunAndItsNetwork() {
        IsolationPolicy none = IsolationPolicy.strict().toBuilder().syscalls(SyscallPolicy.allowAll())
                .limits(l -> l.noDiskLimit()).build();
        List<String> a = args(plan(none, SandboxImage.host(), Engine.NSPAWN), Engine.NSPAWN);
        assertThat(values(a, "--net", 1)).as("network none: the holder's empty namespace, which each exec joins")
                .containsExactly("none");
        assertThat(a).contains("--run-tmpfs").doesNotContain("--dev-nodes");
        assertThat(values(a, "--cleanup-dir", 1)).containsExactly("/sys/fs/cgroup/systemd/cg-x");
        assertThat(values(a, "--mount-point", 1)).startsWith("/proc", "/dev")
                .containsAll(List.of("/proc", "/sys", "/dev", "/run", "/tmp", "/var", "/root", "/etc"));
        assertThat(a.lastIndexOf("--mount-point")).isLessThan(a.indexOf("--remount-ro"));

        IsolationPolicy loopback = none.toBuilder().network(NetworkPolicy.loopback()).build();
        assertThat(values(args(plan(loopback, SandboxImage.host(), Engine.NSPAWN), Engine.NSPAWN), "--net", 1))
                .as("loopback: nspawn's own private network").containsExactly("host");
    }

    @Test
    void theEnginesPlanSaysWhatTheEngineDoes() {
        SandboxPlan chroot = plan(chrootPolicy(), SandboxImage.host(), Engine.CHROOT);
        assertThat(chroot.stepsOf(Step.UnsharePid.class)).isEmpty();
        assertThat(chroot.stepsOf(Step.UnshareUser.class)).isEmpty();
        assertThat(chroot.toString()).contains("the host's pid, ipc, uts and cgroup namespaces: a chroot has none of its own")
                .contains("no user namespace");
        assertThat(chroot.stepsOf(Step.SetUser.class)).containsExactly(new Step.SetUser(1879048200, 1879048200, 1879048200,
                1879048200));
        SandboxPlan nspawn = plan(chrootPolicy().toBuilder().network(NetworkPolicy.none()).build(), SandboxImage.host(), Engine.NSPAWN);
        assertThat(nspawn.stepsOf(Step.UnsharePid.class)).hasSize(1);
        assertThat(nspawn.stepsOf(Step.UnshareNet.class)).containsExactly(new Step.UnshareNet(NetworkPolicy.Mode.NONE));
    }

    @Test
    void anExplicitUidAndRootsHostIdsAreRefused() {
        IsolationPolicy withUid = chrootPolicy().toBuilder().process(new dev.sandbox4j.ProcessPolicy(false,
                java.util.OptionalInt.of(1000), true, true, java.util.Set.of())).build();
        assertThatThrownBy(() -> plan(withUid, SandboxImage.host(), Engine.CHROOT))
                .isInstanceOf(dev.sandbox4j.UnsupportedPolicyException.class).hasMessageContaining("process.uid=1000")
                .hasMessageContaining("leave process.uid empty");
        SandboxSpec root = TestSpecs.spec("abc123", chrootPolicy(), SandboxImage.host(), ws, Map.of(), new HostIds(0, 0, false));
        assertThatThrownBy(() -> plan(root, Engine.CHROOT)).isInstanceOf(dev.sandbox4j.SandboxStartException.class)
                .hasMessageContaining("would run as the host's root");
    }

    @Test
    void noMountInsideTheWritableWorkspace() throws IOException {
        Path data = Files.createDirectories(dir.resolve("data"));
        SandboxPlan p = plan(chrootPolicy().toBuilder().filesystem(f -> f.readOnly(data, "/workspace/data")).build(),
                SandboxImage.host(), Engine.CHROOT);
        assertThatThrownBy(() -> args(p, Engine.CHROOT)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("/workspace/data").hasMessageContaining("inside the read-write mount /workspace");
    }

    @Test
    void pathsThroughTheRootsSymlinksAreCheckedWhereTheyLand() throws IOException {
        // a plan symlink /w -> workspace: a mount at /w/data lands inside the workspace, and is refused as such
        List<Step> steps = new ArrayList<>(plan(chrootPolicy(), SandboxImage.host(), Engine.CHROOT).steps());
        int at = SetuidGuard.indexOfRootRemount(steps);
        Path data = Files.createDirectories(dir.resolve("data"));
        steps.add(at, new Step.Symlink("workspace", "/w"));
        steps.add(at + 1, new Step.BindRo(HostPath.of(PinnedPath.pin(data, "test")), "/w/data", Optional.empty(), Step.Origin.MOUNT));
        SandboxPlan p = new SandboxPlan(steps, Map.of());
        assertThatThrownBy(() -> args(p, Engine.CHROOT)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("/w/data").hasMessageContaining("inside the read-write mount /workspace");
    }

    @Test
    void everyBindIsByItsPin() {
        List<Step> steps = new ArrayList<>(plan(chrootPolicy(), SandboxImage.host(), Engine.CHROOT).steps());
        steps.add(SetuidGuard.indexOfRootRemount(steps), new Step.BindRo(HostPath.byName(dir, true), "/named", Optional.empty(),
                Step.Origin.GENERATED));
        assertThatThrownBy(() -> args(new SandboxPlan(steps, Map.of()), Engine.CHROOT)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("was never pinned");
    }

    @Test
    void theDiskStorageIsShownAtTheTmpfsPathsAndMountsBelowItAreAllowed() throws IOException {
        Path storage = Files.createDirectories(dir.resolve("storage"));
        Path tmp0 = Files.createDirectories(storage.resolve("tmp0"));
        Path tmp1 = Files.createDirectories(storage.resolve("tmp1"));
        Path sws = Files.createDirectories(storage.resolve("workspace"));
        Path data = Files.createDirectories(dir.resolve("data"));
        IsolationPolicy p = chrootPolicy().toBuilder().limits(l -> l.disk(DataSize.ofMiB(16)))
                .filesystem(f -> f.readOnly(data, "/tmp/data")).build();
        SandboxHost host = new SandboxHost(OWN, PinnedPath.pin(sws, "workspace"), List.of(PinnedPath.pin(data, "mount")),
                Optional.empty(), Optional.of(new SandboxStorage(DataSize.ofMiB(16), List.of(PinnedPath.pin(tmp0, "storage"),
                PinnedPath.pin(tmp1, "storage")),
                OptionalLong.empty())), PinnedPath::pin);
        SandboxSpec spec = new SandboxSpec("abc123", SessionLabels.current(), p, SandboxImage.host(), sws, Map.of(),
                EventSink.discard(), host);
        List<String> a = args(plan(spec, Engine.CHROOT), Engine.CHROOT);
        assertThat(values(a, "--bind-own", 3)).as("/tmp, /var/tmp and the workspace on the one storage")
                .containsExactly(pin(tmp0) + " " + tmp0 + " /tmp", pin(sws) + " " + sws + " /workspace",
                        pin(tmp1) + " " + tmp1 + " /var/tmp");
        assertThat(values(a, "--tmpfs", 3)).isEmpty();
        assertThat(values(a, "--ro-bind-own", 3)).as("a policy mount is the sandbox's own: idmapped")
                .containsExactly(pin(data) + " " + data + " /tmp/data");
    }

    @Test
    void aPlanOfAJvmThatIsNotRootIsRefused() {
        List<Step> steps = new ArrayList<>(plan(chrootPolicy(), SandboxImage.host(), Engine.CHROOT).steps());
        steps.add(0, new Step.JoinStorage(42));
        assertThatThrownBy(() -> args(new SandboxPlan(steps, Collections.emptyMap()), Engine.CHROOT))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("only under a root JVM");
    }
}
