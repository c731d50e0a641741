package dev.sandbox4j.linux.internal.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandbox4j.InvalidInputException;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.NetworkPolicy;
import dev.sandbox4j.SandboxImage;
import dev.sandbox4j.SyscallPolicy;
import dev.sandbox4j.spi.EventSink;
import dev.sandbox4j.spi.ProcessRequest;
import dev.sandbox4j.spi.SandboxSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The policy-to-plan translation: content, order, printing and refusals, without running anything. */
class SandboxPlanTest {
    @TempDir
    Path tmp;

    private SandboxSpec spec(IsolationPolicy policy, SandboxImage image) {
        return new SandboxSpec("sb1", "1-2-ab", policy, image, tmp.resolve("ws"), Map.of(), EventSink.discard());
    }

    private HostFacts facts() {
        return new HostFacts(0, 0, tmp.resolve("private"), List.of(Path.of("/sys/fs/cgroup/pids/x/cgroup.procs")),
                HostFacts.REAL);
    }

    private static ProcessRequest request() {
        return new ProcessRequest(List.of("python3", "-c", "print(1)"),
                Map.of("PATH", "/usr/bin:/bin", "API_KEY", "hunter2-secret"), "/workspace");
    }

    private SandboxPlan strictPlan() throws IOException {
        Files.createDirectories(tmp.resolve("ws"));
        return SandboxPlan.from(spec(IsolationPolicy.strict(), SandboxImage.host()), request(), facts());
    }

    private static int index(SandboxPlan plan, Class<? extends Step> type) {
        for (int i = 0; i < plan.steps().size(); i++) {
            if (type.isInstance(plan.steps().get(i))) {
                return i;
            }
        }
        throw new AssertionError("no " + type.getSimpleName() + " in\n" + plan);
    }

    @Test
    void strictPlanHasEveryStepInTheWrittenOrder() throws IOException {
        SandboxPlan plan = strictPlan();
        List<Class<? extends Step>> order = List.of(Step.UnshareUser.class, Step.UnsharePid.class, Step.UnshareNet.class,
                Step.UnshareIpc.class, Step.UnshareUts.class, Step.UnshareCgroup.class, Step.DisableUserns.class,
                Step.SetUser.class, Step.DropCaps.class, Step.NoNewPrivs.class, Step.DieWithParent.class,
                Step.NewSession.class, Step.JoinCgroups.class, Step.Rlimit.class, Step.BindRo.class, Step.Proc.class,
                Step.Dev.class, Step.Tmpfs.class, Step.BindRw.class, Step.RemountRo.class, Step.Seccomp.class,
                Step.ClearEnv.class, Step.SetEnv.class, Step.Chdir.class, Step.Exec.class);
        for (int i = 1; i < order.size(); i++) {
            assertThat(index(plan, order.get(i - 1))).as("%s before %s in\n%s", order.get(i - 1).getSimpleName(),
                    order.get(i).getSimpleName(), plan).isLessThan(index(plan, order.get(i)));
        }
        assertThat(plan.stepsOf(Step.SetUser.class)).containsExactly(new Step.SetUser(65534, 65534));
        assertThat(plan.stepsOf(Step.Rlimit.class)).extracting(r -> r.limit().toString())
                .containsExactly("RLIMIT_FSIZE=" + (64L << 20), "RLIMIT_NOFILE=256");
        assertThat(plan.stepsOf(Step.Tmpfs.class)).singleElement()
                .satisfies(t -> assertThat(t.dest()).isEqualTo("/tmp"))
                .satisfies(t -> assertThat(t.mode()).isEqualTo(01777));
        assertThat(plan.stepsOf(Step.BindRw.class)).containsExactly(new Step.BindRw(tmp.resolve("ws"), "/workspace"));
        assertThat(plan.stepsOf(Step.Exec.class).get(0).argv()).containsExactly("python3", "-c", "print(1)");
        assertThat(plan.stepsOf(Step.SetEnv.class)).extracting(Step.SetEnv::name).containsExactly("API_KEY", "PATH");
    }

    @Test
    void hostImageShowsSystemDirsReadOnlyAndOnlyAMinimalGeneratedEtc() throws IOException {
        SandboxPlan plan = strictPlan();
        List<String> dests = plan.steps().stream().map(s -> s instanceof Step.BindRo b ? b.dest()
                : s instanceof Step.Symlink l ? l.dest() : null).filter(d -> d != null).toList();
        assertThat(dests).contains("/usr", "/etc/passwd", "/etc/group", "/etc/hosts", "/etc/nsswitch.conf");
        assertThat(dests).as("never the whole /etc, never the host's shadow or resolv.conf under network none")
                .doesNotContain("/etc", "/etc/shadow", "/etc/resolv.conf", "/root", "/home", "/var");
        Path passwd = tmp.resolve("private/files/etc/passwd");
        assertThat(plan.generatedFiles().get(passwd)).isEqualTo(
                "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
        assertThat(plan.stepsOf(Step.BindRo.class)).contains(new Step.BindRo(passwd, "/etc/passwd"));
        if (Files.isSymbolicLink(Path.of("/bin"))) {
            assertThat(plan.stepsOf(Step.Symlink.class)).contains(new Step.Symlink(Files.readSymbolicLink(Path.of("/bin")).toString(), "/bin"));
        }
    }

    @Test
    void printedPlanIsNumberedAndNeverShowsAnEnvironmentValue() throws IOException {
        String text = strictPlan().toString();
        assertThat(text).startsWith("sandbox plan (").contains("\n  1. unshare user namespace")
                .contains("setenv API_KEY (14 chars)").contains("exec [python3, -c, print(1)]")
                .contains("seccomp BPF").doesNotContain("hunter2-secret");
    }

    @Test
    void networkHostKeepsTheHostNetworkAndItsResolverFiles() throws IOException {
        Files.createDirectories(tmp.resolve("ws"));
        IsolationPolicy p = IsolationPolicy.strict().toBuilder().network(NetworkPolicy.host()).build();
        SandboxPlan plan = SandboxPlan.from(spec(p, SandboxImage.host()), request(), facts());
        assertThat(plan.stepsOf(Step.UnshareNet.class)).isEmpty();
        assertThat(plan.generatedFiles().keySet()).noneMatch(f -> f.endsWith("hosts"));
        if (Files.exists(Path.of("/etc/hosts"))) {
            assertThat(plan.stepsOf(Step.BindRo.class)).contains(new Step.BindRo(Path.of("/etc/hosts"), "/etc/hosts"));
        }
    }

    @Test
    void mountsGoParentsFirstAndHiddenPathsLast() throws IOException {
        Path data = Files.createDirectories(tmp.resolve("data/sub"));
        Files.writeString(data.resolve("secret.txt"), "s");
        Files.createDirectories(tmp.resolve("ws"));
        IsolationPolicy p = IsolationPolicy.strict().toBuilder().filesystem(fs -> fs
                .readOnly(data, "/data/sub")            // given child first
                .readWrite(tmp.resolve("data"), "/data")
                .hide("/data/sub/secret.txt")
                .hide("/usr/share")
                .hide("/usr/no-such-dir-here")).build();
        SandboxPlan plan = SandboxPlan.from(spec(p, SandboxImage.host()), request(), facts());
        int parent = plan.steps().indexOf(new Step.BindRw(tmp.resolve("data"), "/data"));
        int child = plan.steps().indexOf(new Step.BindRo(data, "/data/sub"));
        assertThat(parent).isNotNegative().isLessThan(child);
        assertThat(plan.steps().indexOf(new Step.HideFile("/data/sub/secret.txt"))).isGreaterThan(child);
        assertThat(plan.stepsOf(Step.HideDir.class)).containsExactly(new Step.HideDir("/usr/share"));
        assertThat(plan.stepsOf(Step.Note.class)).extracting(Step.Note::text)
                .anyMatch(t -> t.contains("/usr/no-such-dir-here") && t.contains("nothing to hide"));
        assertThat(index(plan, Step.RemountRo.class)).isGreaterThan(index(plan, Step.HideDir.class));
    }

    @Test
    void directoryImageBindsEachTopLevelEntryAndSkipsProcDevSys() throws IOException {
        Path rootfs = Files.createDirectories(tmp.resolve("rootfs"));
        Files.createDirectories(rootfs.resolve("usr/bin"));
        Files.createDirectories(rootfs.resolve("proc"));
        Files.createSymbolicLink(rootfs.resolve("bin"), Path.of("usr/bin"));
        Files.writeString(rootfs.resolve("marker"), "m");
        Files.createDirectories(tmp.resolve("ws"));
        SandboxPlan plan = SandboxPlan.from(spec(IsolationPolicy.strict(), SandboxImage.directory(rootfs)), request(), facts());
        assertThat(plan.stepsOf(Step.BindRo.class)).contains(new Step.BindRo(rootfs.resolve("usr"), "/usr"),
                new Step.BindRo(rootfs.resolve("marker"), "/marker"));
        assertThat(plan.stepsOf(Step.BindRo.class)).noneMatch(b -> b.dest().equals("/proc"));
        assertThat(plan.stepsOf(Step.Symlink.class)).containsExactly(new Step.Symlink("usr/bin", "/bin"));
        assertThat(plan.generatedFiles()).as("a rootfs brings its own /etc").isEmpty();
    }

    @Test
    void missingRootfsIsRefusedNamingIt() {
        Path missing = tmp.resolve("no-such-rootfs");
        assertThatThrownBy(() -> SandboxPlan.session(spec(IsolationPolicy.strict(), SandboxImage.directory(missing)), facts()))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("image.directory").hasMessageContaining(missing.toString()).hasMessageContaining("does not exist");
    }

    @Test
    void mountOfAMissingHostPathIsRefused() throws IOException {
        Files.createDirectories(tmp.resolve("ws"));
        Path missing = tmp.resolve("gone");
        IsolationPolicy p = IsolationPolicy.strict().toBuilder().filesystem(fs -> fs.readWrite(missing, "/data")).build();
        assertThatThrownBy(() -> SandboxPlan.session(spec(p, SandboxImage.host()), facts()))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("/data").hasMessageContaining("does not exist");
    }

    @Test
    void aFileMountedWhereTheViewHasADirectoryIsRefused() throws IOException {
        Files.createDirectories(tmp.resolve("ws"));
        Path file = Files.writeString(tmp.resolve("file.txt"), "x");
        IsolationPolicy p = IsolationPolicy.strict().toBuilder().filesystem(fs -> fs.readWrite(file, "/usr/lib")).build();
        assertThatThrownBy(() -> SandboxPlan.session(spec(p, SandboxImage.host()), facts()))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("is a file but /usr/lib in the sandbox's view is a directory");
    }

    @Test
    void aMountPointThatCannotBeMadeIsRefused() throws IOException {
        Files.createDirectories(tmp.resolve("ws"));
        IsolationPolicy inReadOnly = IsolationPolicy.strict().toBuilder()
                .filesystem(fs -> fs.readOnly(tmp, "/usr/sandbox4j-missing-dir")).build();
        assertThatThrownBy(() -> SandboxPlan.session(spec(inReadOnly, SandboxImage.host()), facts()))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("read-only /usr");
        IsolationPolicy inProc = IsolationPolicy.strict().toBuilder().filesystem(fs -> fs.readOnly(tmp, "/proc/x")).build();
        assertThatThrownBy(() -> SandboxPlan.session(spec(inProc, SandboxImage.host()), facts()))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("inside /proc");
        IsolationPolicy twice = IsolationPolicy.strict().toBuilder().filesystem(fs -> fs.readOnly(tmp, "/workspace")).build();
        assertThatThrownBy(() -> SandboxPlan.session(spec(twice, SandboxImage.host()), facts()))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("two mounts at /workspace");
    }

    @Test
    void withoutAFilterThereIsNoSeccompStepAndNoUsernsLock() throws IOException {
        Files.createDirectories(tmp.resolve("ws"));
        IsolationPolicy p = IsolationPolicy.strict().toBuilder().syscalls(SyscallPolicy.allowAll()).build();
        SandboxPlan plan = SandboxPlan.session(spec(p, SandboxImage.host()), facts());
        assertThat(plan.stepsOf(Step.Seccomp.class)).isEmpty();
        assertThat(plan.stepsOf(Step.DisableUserns.class)).isEmpty();
        assertThat(plan.stepsOf(Step.Exec.class)).as("a session plan has no exec").isEmpty();
    }
}
