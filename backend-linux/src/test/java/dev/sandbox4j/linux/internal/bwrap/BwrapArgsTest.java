package dev.sandbox4j.linux.internal.bwrap;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.NetworkPolicy;
import dev.sandbox4j.SandboxImage;
import dev.sandbox4j.linux.internal.plan.HostFacts;
import dev.sandbox4j.linux.internal.plan.HostPath;
import dev.sandbox4j.linux.internal.plan.SandboxPlan;
import dev.sandbox4j.spi.HostIds;
import dev.sandbox4j.spi.PinnedPath;
import dev.sandbox4j.spi.ProcessRequest;
import dev.sandbox4j.spi.SandboxSpec;
import dev.sandbox4j.testkit.TestSpecs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The plan-to-bwrap executor, the staging and the launcher's arguments, without running them. */
class BwrapArgsTest {
    /** The sandbox's own host ids; the facts say the JVM is root unless a test says otherwise. */
    private static final HostIds OWN = new HostIds(1879048400, 1879048400, true);

    @TempDir
    Path tmp;
    Path ws;

    @BeforeEach
    void workspace() throws IOException {
        ws = Files.createDirectories(tmp.resolve("ws"));
    }

    private SandboxPlan plan(IsolationPolicy policy, List<String> argv, int jvmUid, HostIds ids, Path priv) {
        SandboxSpec spec = TestSpecs.spec("sb", policy, SandboxImage.host(), ws, Map.of(), ids);
        HostFacts facts = new HostFacts(jvmUid, jvmUid, priv, List.of(Path.of("/cg/a/cgroup.procs")), HostFacts.REAL);
        return SandboxPlan.from(spec, new ProcessRequest(argv, Map.of("HOME", "/tmp", "K", "v a l"), "/workspace"), facts);
    }

    private BwrapArgs.Invocation invocation(IsolationPolicy policy, List<String> argv, Optional<String> shim) {
        return BwrapArgs.of(plan(policy, argv, 0, OWN, tmp.resolve("p")), BwrapFeatures.of("0.8.0"), shim, Optional.empty(),
                Optional.empty());
    }

    private static HostPath pinned(Path p) {
        try (PinnedPath pin = PinnedPath.pin(p, "test")) {
            return HostPath.of(pin);
        }
    }

    private static void assertSequence(List<String> options, String... seq) {
        assertThat(Collections.indexOfSubList(options, List.of(seq))).as("%s in %s", List.of(seq), options).isNotNegative();
    }

    /** The stage whose source is {@code source}. */
    private static StagedBinds.Stage stageOf(BwrapArgs.Invocation inv, Path source) {
        return inv.staging().stages().stream().filter(s -> s.source().path().equals(source)).findFirst()
                .orElseThrow(() -> new AssertionError(source + " is not staged: " + inv.staging()));
    }

    @Test
    void strictPolicyAsRootNestsBwrapInTheLaunchersRootOwnedUserNamespaceAndBindsOnlyStagedClones() {
        BwrapArgs.Invocation inv = invocation(IsolationPolicy.strict(), List.of("id"), Optional.of("/usr/bin/env"));
        List<String> o = inv.options();
        assertThat(o).contains("--unshare-user", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-cgroup-try",
                "--disable-userns", "--die-with-parent", "--new-session", "--clearenv");
        assertThat(o).doesNotContain("--userns", "--assert-userns-disabled");
        assertSequence(o, "--unshare-uts", "--hostname", "sandbox4j");
        assertSequence(o, "--uid", "65534", "--gid", "65534");
        assertSequence(o, "--cap-drop", "ALL");
        assertSequence(o, "--proc", "/proc");
        assertSequence(o, "--dev", "/dev");
        assertSequence(o, "--size", Long.toString(512L << 20), "--perms", "1777", "--tmpfs", "/tmp");
        assertSequence(o, "--size", Long.toString(512L << 20), "--perms", "1777", "--tmpfs", "/var/tmp");
        assertSequence(o, "--perms", "0755", "--dir", "/home");
        assertSequence(o, "--perms", "0755", "--dir", "/root");
        assertSequence(o, "--perms", "0755", "--dir", "/var");
        StagedBinds.Stage workspace = stageOf(inv, ws);
        assertThat(workspace.kind()).as("idmapped: the JVM's files are the sandbox user's").isEqualTo(StagedBinds.Kind.OWN);
        assertThat(workspace.source()).isEqualTo(pinned(ws));
        assertThat(workspace.what()).isEqualTo("the workspace bind at /workspace");
        assertSequence(o, "--bind", workspace.mountPoint().toString(), "/workspace");
        StagedBinds.Stage usr = stageOf(inv, Path.of("/usr"));
        assertThat(usr.kind()).isEqualTo(StagedBinds.Kind.PLAIN_RO);
        assertSequence(o, "--ro-bind", usr.mountPoint().toString(), "/usr");
        assertThat(inv.staging().stages()).allMatch(s -> s.mountPoint().startsWith(StagedBinds.ROOT));
        assertThat(o).as("bwrap never sees a host path it could be led astray by").doesNotContain(ws.toString(), "/usr/bin");
        assertSequence(o, "--remount-ro", "/");
        assertSequence(o, "--add-seccomp-fd", "3");
        assertSequence(o, "--setenv", "K", "v a l");
        assertSequence(o, "--chdir", "/workspace");
        assertThat(o.indexOf("--clearenv")).isLessThan(o.indexOf("--setenv"));
        assertThat(o.lastIndexOf("--remount-ro")).as("root made read-only after every mount").isGreaterThan(o.lastIndexOf("--bind"));
        assertThat(inv.command()).containsExactly("/usr/bin/env", "-u", "PWD", "--", "id");
        assertThat(inv.rlimits()).extracting(l -> l.prlimitArg()).containsExactly("--fsize=67108864:67108864", "--nofile=256:256");
        assertThat(inv.cgroupProcs()).containsExactly(Path.of("/cg/a/cgroup.procs"));
        assertThat(inv.staging().rootUserns()).isTrue();
        assertThat(inv.staging().user().arg()).isEqualTo("65534:65534:1879048400:1879048400");
        assertThat(inv.staging().idmap()).hasValueSatisfying(m -> assertThat(m.arg()).isEqualTo("0:0:1879048400:1879048400"));
    }

    @Test
    void notRootBwrapMakesTheUserNamespaceNestedAndNothingIsIdmapped() {
        BwrapArgs.Invocation inv = BwrapArgs.of(plan(IsolationPolicy.strict(), List.of("id"), 4000, new HostIds(4000, 4000, false),
                tmp.resolve("p")), BwrapFeatures.of("0.8.0"));
        assertThat(inv.options()).contains("--unshare-user", "--disable-userns").doesNotContain("--userns");
        assertThat(inv.staging().rootUserns()).isFalse();
        assertThat(inv.staging().idmap()).isEmpty();
        assertThat(stageOf(inv, ws).kind()).isEqualTo(StagedBinds.Kind.PLAIN);
        List<String> a = BwrapLauncher.launcherArgs(inv, Path.of("/b"), 1, Path.of("/p/s.bpf"), true);
        assertSequence(a, "--user", "65534:65534:4000:4000");
        assertThat(a.subList(0, a.indexOf("--options"))).as("bwrap disables nested namespaces itself")
                .doesNotContain("--disable-userns", "--idmap");
    }

    @Test
    void hostNetworkAndNoFilterKeepTheSeccompProgram() {
        IsolationPolicy p = IsolationPolicy.strict().toBuilder().network(NetworkPolicy.host())
                .syscalls(dev.sandbox4j.SyscallPolicy.allowAll()).build();
        BwrapArgs.Invocation inv = invocation(p, List.of("a=b"), Optional.of("/usr/bin/env"));
        assertThat(inv.options()).doesNotContain("--unshare-net", "--disable-userns");
        assertSequence(inv.options(), "--add-seccomp-fd", "3");
        assertThat(inv.command()).as("env would read a=b as an assignment: no shim").containsExactly("a=b");
    }

    @Test
    void olderBwrapGetsNoDisableUserns() {
        SandboxPlan plan = plan(IsolationPolicy.strict(), List.of("id"), 0, OWN, tmp.resolve("p"));
        assertThat(BwrapArgs.of(plan, BwrapFeatures.of("0.6.1")).options()).doesNotContain("--disable-userns")
                .contains("--add-seccomp-fd");
        assertThat(BwrapArgs.of(plan, BwrapFeatures.of("0.5.0")).options()).as("one program only before 0.6.0")
                .contains("--seccomp").doesNotContain("--add-seccomp-fd");
    }

    @Test
    void withoutDropCapsABwrapRunAsUidZeroStillGivesTheCommandNone() {
        IsolationPolicy asZero = IsolationPolicy.strict().toBuilder().process(new dev.sandbox4j.ProcessPolicy(true,
                java.util.OptionalInt.of(0), false, false, java.util.Set.of())).build();
        assertSequence(invocation(asZero, List.of("id"), Optional.empty()).options(), "--cap-drop", "ALL");
        IsolationPolicy keep = IsolationPolicy.strict().toBuilder().process(new dev.sandbox4j.ProcessPolicy(true,
                java.util.OptionalInt.empty(), false, false, java.util.Set.of())).build();
        assertThat(invocation(keep, List.of("id"), Optional.empty()).options()).doesNotContain("--cap-drop");
    }

    @Test
    void launcherArgumentsJoinCgroupsLowerRlimitsMakeTheUsernsStageThenHandBwrapItsOptionsAndTheCommand() {
        BwrapArgs.Invocation inv = invocation(IsolationPolicy.strict(), List.of("id", "--", "x"), Optional.empty());
        List<String> a = BwrapLauncher.launcherArgs(inv, Path.of("/usr/bin/bwrap"), 42, Path.of("/p/s.bpf"), true);
        assertThat(a.subList(0, 16)).containsExactly("--parent-pid", "42", "--cgroup-procs", "/cg/a/cgroup.procs",
                "--rlimit", "fsize=67108864", "--rlimit", "nofile=256", "--seccomp", "/p/s.bpf",
                "--user", "65534:65534:1879048400:1879048400", "--idmap", "0:0:1879048400:1879048400",
                "--stage-ro", stageOf(inv, Path.of("/usr")).source().pin());
        StagedBinds.Stage workspace = stageOf(inv, ws);
        assertSequence(a, "--stage-own", workspace.source().pin(), ws.toString(), workspace.mountPoint().toString(),
                "the workspace bind at /workspace");
        int options = a.indexOf("--options");
        assertThat(a.get(options - 2)).isEqualTo("--bwrap");
        int n = Integer.parseInt(a.get(options + 1));
        assertThat(a.subList(options + 2, options + 2 + n)).isEqualTo(inv.options());
        assertThat(a.subList(options + 2 + n, a.size())).as("the command after the options, its own -- kept")
                .containsExactly("--", "id", "--", "x");
        assertThat(BwrapLauncher.launcherArgs(inv, Path.of("/b"), 42, Path.of("/p/s.bpf"), false))
                .as("a standby joined the cgroups already").doesNotContain("--cgroup-procs");
    }

    @Test
    void policyMountsAreStagedIdmappedWithTheirNames() throws IOException {
        Path ro = Files.createDirectories(tmp.resolve("ro"));
        Path file = Files.writeString(tmp.resolve("f.txt"), "x");
        IsolationPolicy p = IsolationPolicy.strict().toBuilder().filesystem(fs -> fs.readOnly(ro, "/data")
                .readOnly(file, "/opt/f.txt")).build();
        BwrapArgs.Invocation inv = BwrapArgs.of(plan(p, List.of("id"), 0, OWN, tmp.resolve("p")), BwrapFeatures.of("0.8.0"));
        assertThat(stageOf(inv, ro).kind()).isEqualTo(StagedBinds.Kind.OWN_RO);
        assertThat(stageOf(inv, ro).what()).isEqualTo("the policy's mount at /data");
        assertThat(stageOf(inv, file).kind()).isEqualTo(StagedBinds.Kind.OWN_RO);
        assertThat(stageOf(inv, file).source().directory()).isFalse();
        assertSequence(inv.options(), "--ro-bind", stageOf(inv, ro).mountPoint().toString(), "/data");
        assertThat(inv.options()).doesNotContain(ro.toString(), file.toString());
    }

    @Test
    void hiddenFilesShareOneStagedCover() throws IOException {
        Path cover = Files.createFile(tmp.resolve("cover"));
        IsolationPolicy p = IsolationPolicy.strict().toBuilder().filesystem(fs -> fs.hide("/etc/passwd").hide("/etc/group")).build();
        BwrapArgs.Invocation inv = BwrapArgs.of(plan(p, List.of("id"), 0, OWN, tmp.resolve("p")), BwrapFeatures.of("0.8.0"),
                Optional.empty(), Optional.of(pinned(cover)), Optional.empty());
        StagedBinds.Stage c = stageOf(inv, cover);
        assertThat(c.kind()).isEqualTo(StagedBinds.Kind.PLAIN_RO);
        assertSequence(inv.options(), "--ro-bind", c.mountPoint().toString(), "/etc/passwd");
        assertSequence(inv.options(), "--ro-bind", c.mountPoint().toString(), "/etc/group");
        assertThat(inv.staging().stages()).filteredOn(s -> s.source().path().equals(cover)).hasSize(1);
    }

    @Test
    void versionsCompare() {
        assertThat(BwrapFeatures.of("0.8.0").disableUserns()).isTrue();
        assertThat(BwrapFeatures.of("0.11.1").disableUserns()).isTrue();
        assertThat(BwrapFeatures.of("0.7.9").disableUserns()).isFalse();
        assertThat(BwrapFeatures.of("0.4.1").supported()).isFalse();
        assertThat(BwrapFeatures.of("0.5.0").supported()).isTrue();
        assertThat(BwrapFeatures.of("0.5.0").addSeccompFd()).isFalse();
        assertThat(BwrapFeatures.of("0.6.0").addSeccompFd()).isTrue();
    }

    private BwrapArgs.Etc etc(SandboxPlan plan, Path priv) {
        EtcView view = EtcView.materialize(plan, priv).orElseThrow();
        return new BwrapArgs.Etc(view, pinned(view.dir()));
    }

    @Test
    void theEtcViewReplacesThePerFileBindsIsStagedAndIsMadeReadOnly() throws IOException {
        Path priv = Files.createDirectories(tmp.resolve("priv"));
        SandboxPlan plan = plan(IsolationPolicy.strict(), List.of("id"), 0, OWN, priv);
        BwrapArgs.Etc etc = etc(plan, priv);
        assertThat(etc.view().consolidated()).contains("/etc/passwd", "/etc/group", "/etc/hosts").doesNotContain("/etc/ssl");
        assertThat(Files.readString(etc.view().dir().resolve("passwd"))).startsWith("root:x:0:0:");
        if (Files.isRegularFile(Path.of("/etc/ld.so.cache"))) {
            assertThat(etc.view().dir().resolve("ld.so.cache")).hasSameBinaryContentAs(Path.of("/etc/ld.so.cache"));
        }
        BwrapArgs.Invocation inv = BwrapArgs.of(plan, BwrapFeatures.of("0.8.0"), Optional.empty(), Optional.empty(), Optional.of(etc));
        List<String> o = inv.options();
        StagedBinds.Stage view = stageOf(inv, etc.view().dir());
        assertThat(view.kind()).isEqualTo(StagedBinds.Kind.PLAIN_RO);
        assertSequence(o, "--bind", view.mountPoint().toString(), "/etc");
        assertThat(o).doesNotContain("/etc/passwd", "/etc/ld.so.cache");
        assertSequence(o, "--remount-ro", "/etc", "--remount-ro", "/");
        int at = o.indexOf(view.mountPoint().toString());
        for (int i = 0; i < o.size(); i++) {
            if (o.get(i).startsWith("/etc/")) {
                assertThat(i).as("%s is mounted after the view, which would cover it: %s", o.get(i), o).isGreaterThan(at);
            }
        }
        if (Files.isDirectory(Path.of("/etc/ssl"))) {
            StagedBinds.Stage ssl = stageOf(inv, Path.of("/etc/ssl"));
            assertThat(ssl.mountPoint()).as("staged into the view's clone: its one bind carries it")
                    .isEqualTo(view.mountPoint().resolve("ssl"));
            assertThat(inv.staging().stages().indexOf(ssl)).isGreaterThan(inv.staging().stages().indexOf(view));
            assertThat(o).doesNotContain("/etc/ssl");
            assertThat(Files.isDirectory(etc.view().dir().resolve("ssl"))).as("the view holds the mount point").isTrue();
        }
    }

    @Test
    void theEtcViewIsBoundBeforeADirectoryBindThatSortsFirst() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("aaa-dir"));
        Path priv = Files.createDirectories(tmp.resolve("priv"));
        IsolationPolicy policy = IsolationPolicy.strict().toBuilder().filesystem(fs -> fs.readOnly(dir, "/etc/aaa")).build();
        SandboxPlan plan = plan(policy, List.of("id"), 0, OWN, priv);
        BwrapArgs.Etc etc = etc(plan, priv);
        BwrapArgs.Invocation inv = BwrapArgs.of(plan, BwrapFeatures.of("0.8.0"), Optional.empty(), Optional.empty(), Optional.of(etc));
        List<String> o = inv.options();
        assertThat(o.indexOf("/etc/aaa")).as("the policy's /etc/aaa is bound after (so inside) the view: %s", o)
                .isGreaterThan(o.indexOf(stageOf(inv, etc.view().dir()).mountPoint().toString()));
        assertThat(Files.isDirectory(etc.view().dir().resolve("aaa"))).as("its mount point is made in the view").isTrue();
        assertThat(etc.view().consolidated()).as("a policy mount is never copied into the view").doesNotContain("/etc/aaa");
    }

    @Test
    void anEtcDirectoryWithAMountBelowItIsNotCarriedByTheView() throws IOException {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(Path.of("/etc/ssl/certs")), "no /etc/ssl/certs here");
        Path certs = Files.createDirectories(tmp.resolve("certs"));
        Path priv = Files.createDirectories(tmp.resolve("priv"));
        IsolationPolicy nested = IsolationPolicy.strict().toBuilder().filesystem(fs -> fs.readOnly(certs, "/etc/ssl/certs")).build();
        SandboxPlan plan = plan(nested, List.of("id"), 0, OWN, priv);
        BwrapArgs.Invocation inv = BwrapArgs.of(plan, BwrapFeatures.of("0.8.0"), Optional.empty(), Optional.empty(),
                Optional.of(etc(plan, priv)));
        StagedBinds.Stage ssl = stageOf(inv, Path.of("/etc/ssl"));
        assertSequence(inv.options(), "--ro-bind", ssl.mountPoint().toString(), "/etc/ssl");
        assertThat(inv.options().indexOf("/etc/ssl/certs")).isGreaterThan(inv.options().indexOf("/etc/ssl"));
    }
}
