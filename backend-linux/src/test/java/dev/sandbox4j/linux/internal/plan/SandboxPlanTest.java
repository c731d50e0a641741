package dev.sandbox4j.linux.internal.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import dev.sandbox4j.DataSize;
import dev.sandbox4j.InvalidInputException;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.NetworkPolicy;
import dev.sandbox4j.ProcessPolicy;
import dev.sandbox4j.SandboxImage;
import dev.sandbox4j.SyscallPolicy;
import dev.sandbox4j.spi.EventSink;
import dev.sandbox4j.spi.HostIds;
import dev.sandbox4j.spi.PinnedPath;
import dev.sandbox4j.spi.ProcessRequest;
import dev.sandbox4j.spi.SandboxHost;
import dev.sandbox4j.spi.SandboxSpec;
import dev.sandbox4j.spi.SandboxStorage;
import dev.sandbox4j.spi.SessionLabels;
import dev.sandbox4j.spi.SyscallTable;
import dev.sandbox4j.testkit.TestSpecs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The policy-to-plan translation: content, order, printing and refusals, without running anything. */
class SandboxPlanTest {
    /** The host ids of the sandboxes here: a root JVM's own uid for them (the facts say the JVM is root). */
    static final HostIds OWN = new HostIds(1879048200, 1879048200, true);

    @TempDir
    Path tmp;
    Path ws;

    @BeforeEach
    void workspace() throws IOException {
        ws = Files.createDirectories(tmp.resolve("ws"));
    }

    private SandboxSpec spec(IsolationPolicy policy, SandboxImage image) {
        return TestSpecs.spec("sb1", policy, image, ws, Map.of(), OWN);
    }

    private HostFacts facts() {
        return new HostFacts(0, 0, tmp.resolve("private"), List.of(Path.of("/sys/fs/cgroup/pids/x/cgroup.procs")),
                HostFacts.REAL);
    }

    private static ProcessRequest request() {
        return new ProcessRequest(List.of("python3", "-c", "print(1)"),
                Map.of("PATH", "/usr/bin:/bin", "API_KEY", "hunter2-secret"), "/workspace");
    }

    private SandboxPlan strictPlan() {
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

    private static Optional<Idmap> own() {
        return Optional.of(new Idmap(0, 0, OWN.uid(), OWN.gid()));
    }

    @Test
    void strictPlanHasEveryStepInTheWrittenOrder() {
        SandboxPlan plan = strictPlan();
        List<Class<? extends Step>> order = List.of(Step.UnshareUser.class, Step.UnsharePid.class, Step.UnshareNet.class,
                Step.UnshareIpc.class, Step.UnshareUts.class, Step.UnshareCgroup.class, Step.DisableUserns.class,
                Step.SetUser.class, Step.DropCaps.class, Step.NoNewPrivs.class, Step.DieWithParent.class,
                Step.NewSession.class, Step.CgroupLimits.class, Step.JoinCgroups.class, Step.Rlimit.class, Step.BindRo.class,
                Step.Dir.class, Step.Proc.class, Step.Dev.class, Step.Tmpfs.class, Step.BindRw.class, Step.RemountRo.class, Step.Seccomp.class,
                Step.ClearEnv.class, Step.SetEnv.class, Step.Chdir.class, Step.Exec.class);
        for (int i = 1; i < order.size(); i++) {
            assertThat(index(plan, order.get(i - 1))).as("%s before %s in\n%s", order.get(i - 1).getSimpleName(),
                    order.get(i).getSimpleName(), plan).isLessThan(index(plan, order.get(i)));
        }
        assertThat(plan.stepsOf(Step.UnshareUser.class)).as("a root launcher makes it: root owns it")
                .containsExactly(new Step.UnshareUser(0));
        assertThat(plan.stepsOf(Step.UnshareNet.class)).containsExactly(new Step.UnshareNet(NetworkPolicy.Mode.NONE));
        assertThat(plan.stepsOf(Step.SetUser.class)).as("the sandbox's own user inside, its own host ids outside")
                .containsExactly(new Step.SetUser(65534, 65534, OWN.uid(), OWN.gid()));
        assertThat(plan.stepsOf(Step.CgroupLimits.class)).containsExactly(new Step.CgroupLimits(Optional.of(DataSize.ofMiB(512)),
                java.util.OptionalDouble.of(1.0), OptionalInt.of(128)));
        assertThat(plan.stepsOf(Step.Rlimit.class)).extracting(r -> r.limit().toString())
                .containsExactly("RLIMIT_FSIZE=" + (64L << 20), "RLIMIT_NOFILE=256");
        assertThat(plan.stepsOf(Step.Tmpfs.class)).as("strict's tmpfs paths, as a container's or VM's")
                .extracting(Step.Tmpfs::dest, Step.Tmpfs::mode).containsExactly(tuple("/tmp", 01777), tuple("/var/tmp", 01777));
        assertThat(plan.stepsOf(Step.Dir.class)).as("the host image's empty /home and /root, never the host's")
                .containsExactly(new Step.Dir("/home", 0755), new Step.Dir("/root", 0755), new Step.Dir("/var", 0755));
        assertThat(plan.stepsOf(Step.BindRo.class)).as("nothing of the host's /home or /root is bound")
                .noneMatch(b -> b.dest().startsWith("/home") || b.dest().startsWith("/root")
                        || b.host().startsWith(Path.of("/home")) || b.host().startsWith(Path.of("/root")));
        assertThat(plan.stepsOf(Step.BindRw.class)).singleElement().satisfies(b -> {
            assertThat(b.dest()).isEqualTo("/workspace");
            assertThat(b.origin()).isEqualTo(Step.Origin.WORKSPACE);
            assertThat(b.idmap()).as("the JVM (root) is not the sandbox: its files are idmapped").isEqualTo(own());
            assertThat(b.source()).isEqualTo(HostPath.of(PinnedPath.pin(ws, "test")));
        });
        assertThat(plan.stepsOf(Step.Exec.class).get(0).argv()).containsExactly("python3", "-c", "print(1)");
        assertThat(plan.stepsOf(Step.SetEnv.class)).extracting(Step.SetEnv::name).containsExactly("API_KEY", "PATH");
    }

    @Test
    void everyPlanCarriesTheOneSyscallTablesProgramEvenWithoutAFilter() {
        IsolationPolicy noFilter = IsolationPolicy.strict().toBuilder().syscalls(SyscallPolicy.allowAll()).build();
        for (IsolationPolicy p : List.of(IsolationPolicy.strict(), noFilter)) {
            SandboxPlan plan = SandboxPlan.session(spec(p, SandboxImage.host()), facts());
            assertThat(plan.stepsOf(Step.Seccomp.class)).singleElement().satisfies(s -> assertThat(s.program())
                    .isEqualTo(dev.sandbox4j.spi.SeccompProgram.compile(SyscallTable.forSandbox(p),
                            dev.sandbox4j.spi.SeccompProgram.Target.HOST)));
        }
        SandboxPlan plan = SandboxPlan.session(spec(noFilter, SandboxImage.host()), facts());
        assertThat(plan.stepsOf(Step.Seccomp.class).get(0).program().enforced()).as("the set-id guard and vsock rule")
                .anyMatch(r -> r.startsWith("chmod")).anyMatch(r -> r.startsWith("socket"))
                .noneMatch(r -> r.startsWith("ptrace"));
        assertThat(plan.stepsOf(Step.DisableUserns.class)).as("no unshare denied: no lock of nested namespaces").isEmpty();
    }

    @Test
    void hostImageShowsSystemDirsReadOnlyAndOnlyAMinimalGeneratedEtcWrittenAndPinned() throws IOException {
        SandboxPlan plan = strictPlan();
        List<String> dests = plan.steps().stream().map(s -> s instanceof Step.BindRo b ? b.dest()
                : s instanceof Step.Symlink l ? l.dest() : null).filter(d -> d != null).toList();
        assertThat(dests).contains("/usr", "/etc/passwd", "/etc/group", "/etc/hosts", "/etc/nsswitch.conf");
        assertThat(dests).as("never the whole /etc, never the host's shadow or resolv.conf under network none")
                .doesNotContain("/etc", "/etc/shadow", "/etc/resolv.conf", "/root", "/home", "/var");
        Path passwd = tmp.resolve("private/files/etc/passwd");
        String content = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
        assertThat(plan.generatedFiles().get(passwd)).isEqualTo(content);
        assertThat(Files.readString(passwd)).as("written while planning").isEqualTo(content);
        Step.BindRo bind = plan.stepsOf(Step.BindRo.class).stream().filter(b -> b.dest().equals("/etc/passwd")).findFirst()
                .orElseThrow();
        assertThat(bind.origin()).isEqualTo(Step.Origin.GENERATED);
        assertThat(bind.idmap()).isEmpty();
        assertThat(bind.source().device()).isEqualTo(((Number) Files.getAttribute(passwd, "unix:dev")).longValue());
        assertThat(bind.source().inode()).isEqualTo(((Number) Files.getAttribute(passwd, "unix:ino")).longValue());
        Step.BindRo usr = plan.stepsOf(Step.BindRo.class).stream().filter(b -> b.dest().equals("/usr")).findFirst().orElseThrow();
        assertThat(usr.origin()).isEqualTo(Step.Origin.IMAGE);
        assertThat(usr.idmap()).as("the image's files keep their owners").isEmpty();
        assertThat(usr.source().pinned()).isTrue();
        if (Files.isSymbolicLink(Path.of("/bin"))) {
            assertThat(plan.stepsOf(Step.Symlink.class)).contains(new Step.Symlink(Files.readSymbolicLink(Path.of("/bin")).toString(), "/bin"));
        }
    }

    @Test
    void printedPlanIsNumberedAndNeverShowsAnEnvironmentValue() {
        String text = strictPlan().toString();
        assertThat(text).startsWith("sandbox plan (").contains("\n  1. unshare user namespace, owned by host uid 0")
                .contains("run as uid 65534 gid 65534, host uid 1879048200 gid 1879048200")
                .contains("-> /workspace (read-write, workspace, idmapped 0:0 as 1879048200:1879048200)")
                .contains("setenv API_KEY (14 chars)").contains("exec [python3, -c, print(1)]")
                .contains("seccomp BPF").doesNotContain("hunter2-secret");
    }

    @Test
    void aJvmThatIsTheSandboxesUserIdmapsNothing() {
        HostFacts jvm = new HostFacts(OWN.uid(), OWN.gid(), tmp.resolve("private"), List.of(), HostFacts.REAL);
        SandboxPlan plan = SandboxPlan.session(TestSpecs.spec("sb1", IsolationPolicy.strict(), SandboxImage.host(), ws, Map.of(),
                new HostIds(OWN.uid(), OWN.gid(), false)), jvm);
        assertThat(plan.stepsOf(Step.BindRw.class)).allSatisfy(b -> assertThat(b.idmap()).isEmpty());
        assertThat(plan.stepsOf(Step.UnshareUser.class)).containsExactly(new Step.UnshareUser(OWN.uid()));
    }

    @Test
    void anExplicitUidIsTheUidInsideAndStillMapsToTheSandboxsOwn() {
        IsolationPolicy p = IsolationPolicy.strict().toBuilder().process(new ProcessPolicy(true, OptionalInt.of(1000), true, true,
                java.util.Set.of())).build();
        SandboxPlan plan = SandboxPlan.session(spec(p, SandboxImage.host()), facts());
        assertThat(plan.stepsOf(Step.SetUser.class)).containsExactly(new Step.SetUser(1000, 1000, OWN.uid(), OWN.gid()));
    }

    @Test
    void networkHostKeepsTheHostNetworkAndItsResolverFiles() {
        IsolationPolicy p = IsolationPolicy.strict().toBuilder().network(NetworkPolicy.host()).build();
        SandboxPlan plan = SandboxPlan.from(spec(p, SandboxImage.host()), request(), facts());
        assertThat(plan.stepsOf(Step.UnshareNet.class)).isEmpty();
        assertThat(plan.generatedFiles().keySet()).noneMatch(f -> f.endsWith("hosts"));
        if (Files.exists(Path.of("/etc/hosts"))) {
            assertThat(plan.stepsOf(Step.BindRo.class)).anyMatch(b -> b.host().equals(Path.of("/etc/hosts"))
                    && b.dest().equals("/etc/hosts"));
        }
        IsolationPolicy lo = IsolationPolicy.strict().toBuilder().network(NetworkPolicy.loopback()).build();
        assertThat(SandboxPlan.session(spec(lo, SandboxImage.host()), facts()).stepsOf(Step.UnshareNet.class))
                .containsExactly(new Step.UnshareNet(NetworkPolicy.Mode.LOOPBACK));
    }

    @Test
    void mountsGoParentsFirstAreIdmappedAndHiddenPathsLast() throws IOException {
        Path data = Files.createDirectories(tmp.resolve("data/sub"));
        Files.writeString(data.resolve("secret.txt"), "s");
        IsolationPolicy p = IsolationPolicy.strict().toBuilder().filesystem(fs -> fs
                .readOnly(data, "/data/sub")            // given child first
                .readWrite(tmp.resolve("data"), "/data")
                .hide("/data/sub/secret.txt")
                .hide("/usr/share")
                .hide("/usr/no-such-dir-here")).build();
        SandboxSpec spec = spec(p, SandboxImage.host());
        SandboxPlan plan = SandboxPlan.from(spec, request(), facts());
        SandboxHost host = spec.host();
        int parent = plan.steps().indexOf(new Step.BindRw(HostPath.of(host.mounts().get(1)), "/data", own(), Step.Origin.MOUNT));
        int child = plan.steps().indexOf(new Step.BindRo(HostPath.of(host.mounts().get(0)), "/data/sub", own(), Step.Origin.MOUNT));
        assertThat(parent).as("%s", plan).isNotNegative().isLessThan(child);
        assertThat(plan.steps().indexOf(new Step.HideFile("/data/sub/secret.txt"))).isGreaterThan(child);
        assertThat(plan.stepsOf(Step.HideDir.class)).containsExactly(new Step.HideDir("/usr/share"));
        assertThat(plan.stepsOf(Step.Note.class)).extracting(Step.Note::text)
                .anyMatch(t -> t.contains("/usr/no-such-dir-here") && t.contains("nothing to hide"));
        assertThat(index(plan, Step.RemountRo.class)).isGreaterThan(index(plan, Step.HideDir.class));
    }

    @Test
    void withDiskStorageEachTmpfsPathIsItsStorageDirectory() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("storage/tmp0"));
        Path varTmp = Files.createDirectories(tmp.resolve("storage/tmp1"));
        IsolationPolicy p = IsolationPolicy.strict();
        SandboxHost plain = TestSpecs.host(p, SandboxImage.host(), ws, OWN);
        PinnedPath pinned = PinnedPath.pin(dir, "storage directory");
        PinnedPath pinnedVarTmp = PinnedPath.pin(varTmp, "storage directory");
        SandboxHost withStorage = new SandboxHost(OWN, plain.workspace(), plain.mounts(), plain.rootfs(),
                Optional.of(new SandboxStorage(DataSize.ofMiB(16), List.of(pinned, pinnedVarTmp), java.util.OptionalLong.empty())),
                PinnedPath::pin);
        SandboxSpec spec = new SandboxSpec("sb1", SessionLabels.current(), p, SandboxImage.host(), ws, Map.of(),
                EventSink.discard(), withStorage);
        SandboxPlan plan = SandboxPlan.session(spec, facts());
        assertThat(plan.stepsOf(Step.Tmpfs.class)).as("no tmpfs of its own: the storage bounds /tmp and /var/tmp too").isEmpty();
        assertThat(plan.stepsOf(Step.BindRw.class)).contains(new Step.BindRw(HostPath.of(pinned), "/tmp", own(), Step.Origin.STORAGE),
                new Step.BindRw(HostPath.of(pinnedVarTmp), "/var/tmp", own(), Step.Origin.STORAGE));
    }

    @Test
    void directoryImageBindsEachTopLevelEntryPinnedAndSkipsProcDevSys() throws IOException {
        Path rootfs = Files.createDirectories(tmp.resolve("rootfs"));
        Files.createDirectories(rootfs.resolve("usr/bin"));
        Files.createDirectories(rootfs.resolve("proc"));
        Files.createSymbolicLink(rootfs.resolve("bin"), Path.of("usr/bin"));
        Files.writeString(rootfs.resolve("marker"), "m");
        SandboxPlan plan = SandboxPlan.from(spec(IsolationPolicy.strict(), SandboxImage.directory(rootfs)), request(), facts());
        assertThat(plan.stepsOf(Step.BindRo.class)).extracting(Step.BindRo::host, Step.BindRo::dest)
                .contains(org.assertj.core.groups.Tuple.tuple(rootfs.resolve("usr"), "/usr"),
                        org.assertj.core.groups.Tuple.tuple(rootfs.resolve("marker"), "/marker"));
        assertThat(plan.stepsOf(Step.BindRo.class)).allSatisfy(b -> assertThat(b.source().pinned()).isTrue());
        assertThat(plan.stepsOf(Step.BindRo.class)).noneMatch(b -> b.dest().equals("/proc"));
        assertThat(plan.stepsOf(Step.Symlink.class)).containsExactly(new Step.Symlink("usr/bin", "/bin"));
        assertThat(plan.generatedFiles()).as("a rootfs brings its own /etc").isEmpty();
    }

    @Test
    void anImageDirectoryWithoutATmpfsPathsMountPointIsLaidOutEntryByEntry() throws IOException {
        Path rootfs = Files.createDirectories(tmp.resolve("rootfs-var"));
        Files.createDirectories(rootfs.resolve("var/lib/x"));
        Files.writeString(rootfs.resolve("var/marker"), "m");
        Files.createDirectories(rootfs.resolve("usr/bin"));
        SandboxPlan plan = SandboxPlan.from(spec(IsolationPolicy.strict(), SandboxImage.directory(rootfs)), request(), facts());
        assertThat(plan.stepsOf(Step.Dir.class)).as("/var has no tmp: an empty /var of the view's own, /var/tmp made in it")
                .containsExactly(new Step.Dir("/var", 0755));
        assertThat(plan.stepsOf(Step.BindRo.class)).extracting(Step.BindRo::host, Step.BindRo::dest)
                .contains(tuple(rootfs.resolve("var/lib"), "/var/lib"), tuple(rootfs.resolve("var/marker"), "/var/marker"),
                        tuple(rootfs.resolve("usr"), "/usr"))
                .doesNotContain(tuple(rootfs.resolve("var"), "/var"));
        assertThat(plan.stepsOf(Step.Tmpfs.class)).extracting(Step.Tmpfs::dest).containsExactly("/tmp", "/var/tmp");

        Files.createDirectories(rootfs.resolve("var/tmp"));
        SandboxPlan whole = SandboxPlan.from(spec(IsolationPolicy.strict(), SandboxImage.directory(rootfs)), request(), facts());
        assertThat(whole.stepsOf(Step.Dir.class)).as("the image has /var/tmp: /var is bound whole").isEmpty();
        assertThat(whole.stepsOf(Step.BindRo.class)).extracting(Step.BindRo::host, Step.BindRo::dest)
                .contains(tuple(rootfs.resolve("var"), "/var"));
    }

    @Test
    void missingRootfsOrMountIsRefusedNamingIt() {
        Path missing = tmp.resolve("no-such-rootfs");
        assertThatThrownBy(() -> SandboxPlan.session(spec(IsolationPolicy.strict(), SandboxImage.directory(missing)), facts()))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("image directory").hasMessageContaining(missing.toString()).hasMessageContaining("does not exist");
        Path gone = tmp.resolve("gone");
        IsolationPolicy p = IsolationPolicy.strict().toBuilder().filesystem(fs -> fs.readWrite(gone, "/data")).build();
        assertThatThrownBy(() -> SandboxPlan.session(spec(p, SandboxImage.host()), facts()))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining(gone.toString()).hasMessageContaining("does not exist");
    }

    @Test
    void aFileMountedWhereTheViewHasADirectoryIsRefused() throws IOException {
        Path file = Files.writeString(tmp.resolve("file.txt"), "x");
        IsolationPolicy p = IsolationPolicy.strict().toBuilder().filesystem(fs -> fs.readWrite(file, "/usr/lib")).build();
        assertThatThrownBy(() -> SandboxPlan.session(spec(p, SandboxImage.host()), facts()))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("is a file but /usr/lib in the sandbox's view is a directory");
    }

    @Test
    void aMountPointThatCannotBeMadeIsRefused() {
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
    void aReplacedSourceIsExplainedByTheBindItWas() throws IOException {
        Path sub = Files.createDirectories(ws.resolve("sub"));
        IsolationPolicy p = IsolationPolicy.strict().toBuilder().filesystem(fs -> fs.readWrite(sub, "/data")).build();
        SandboxPlan plan = SandboxPlan.session(spec(p, SandboxImage.host()), facts());
        assertThat(plan.explainSourceFailure("bind source " + sub + ": a component of it is now a symbolic link"))
                .hasValueSatisfying(m -> assertThat(m).contains("the policy's mount at /data (host " + sub + ")")
                        .contains("nothing ran"));
        assertThat(plan.explainSourceFailure("mount proc on /proc: Operation not permitted")).isEmpty();
    }
}
