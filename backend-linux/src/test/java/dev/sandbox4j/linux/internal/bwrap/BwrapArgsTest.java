package dev.sandbox4j.linux.internal.bwrap;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.NetworkPolicy;
import dev.sandbox4j.SandboxImage;
import dev.sandbox4j.linux.internal.plan.HostFacts;
import dev.sandbox4j.linux.internal.plan.SandboxPlan;
import dev.sandbox4j.spi.EventSink;
import dev.sandbox4j.spi.ProcessRequest;
import dev.sandbox4j.spi.SandboxSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The plan-to-bwrap executor, the staging and the launcher's arguments, without running them. */
class BwrapArgsTest {
    @TempDir
    Path tmp;

    private BwrapArgs.Invocation invocation(IsolationPolicy policy, List<String> argv, Optional<String> shim) throws IOException {
        Files.createDirectories(tmp.resolve("ws"));
        SandboxSpec spec = new SandboxSpec("sb", "1-2-ab", policy, SandboxImage.host(), tmp.resolve("ws"), Map.of(),
                EventSink.discard());
        HostFacts facts = new HostFacts(0, 0, tmp.resolve("p"), List.of(Path.of("/cg/a/cgroup.procs")), HostFacts.REAL);
        SandboxPlan plan = SandboxPlan.from(spec, new ProcessRequest(argv, Map.of("HOME", "/tmp", "K", "v a l"), "/workspace"), facts);
        return BwrapArgs.of(plan, BwrapFeatures.of("0.8.0"), shim, Path.of("/p/hidden-cover"), Optional.empty(), StagedBinds.none());
    }

    private static void assertSequence(List<String> options, String... seq) {
        assertThat(Collections.indexOfSubList(options, List.of(seq))).as("%s in %s", List.of(seq), options).isNotNegative();
    }

    @Test
    void strictPolicyBecomesTheDocumentedFlags() throws IOException {
        BwrapArgs.Invocation inv = invocation(IsolationPolicy.strict(), List.of("id"), Optional.of("/usr/bin/env"));
        List<String> o = inv.options();
        assertThat(o).contains("--unshare-user", "--unshare-pid", "--unshare-net", "--unshare-ipc",
                "--unshare-cgroup-try", "--disable-userns", "--die-with-parent", "--new-session", "--clearenv");
        assertSequence(o, "--unshare-uts", "--hostname", "sandbox4j");
        assertSequence(o, "--uid", "65534", "--gid", "65534");
        assertSequence(o, "--cap-drop", "ALL");
        assertSequence(o, "--proc", "/proc");
        assertSequence(o, "--dev", "/dev");
        assertSequence(o, "--size", Long.toString(512L << 20), "--perms", "1777", "--tmpfs", "/tmp");
        assertSequence(o, "--bind", tmp.resolve("ws").toString(), "/workspace");
        assertSequence(o, "--ro-bind", "/usr", "/usr");
        assertSequence(o, "--remount-ro", "/");
        assertSequence(o, "--add-seccomp-fd", "3");
        assertSequence(o, "--setenv", "K", "v a l");
        assertSequence(o, "--chdir", "/workspace");
        assertThat(o.indexOf("--clearenv")).isLessThan(o.indexOf("--setenv"));
        assertThat(o.lastIndexOf("--remount-ro")).as("root made read-only after every mount")
                .isGreaterThan(o.lastIndexOf("--bind"));
        assertThat(inv.command()).containsExactly("/usr/bin/env", "-u", "PWD", "--", "id");
        assertThat(inv.seccomp()).isPresent();
        assertThat(inv.rlimits()).extracting(l -> l.prlimitArg()).containsExactly("--fsize=67108864:67108864", "--nofile=256:256");
        assertThat(inv.cgroupProcs()).containsExactly(Path.of("/cg/a/cgroup.procs"));
    }

    @Test
    void hostNetworkAndNoFilterDropThoseFlags() throws IOException {
        IsolationPolicy p = IsolationPolicy.strict().toBuilder().network(NetworkPolicy.host())
                .syscalls(dev.sandbox4j.SyscallPolicy.allowAll()).build();
        BwrapArgs.Invocation inv = invocation(p, List.of("a=b"), Optional.of("/usr/bin/env"));
        assertThat(inv.options()).doesNotContain("--unshare-net", "--seccomp", "--add-seccomp-fd", "--disable-userns");
        assertThat(inv.seccomp()).isEmpty();
        assertThat(inv.command()).as("env would read a=b as an assignment: no shim").containsExactly("a=b");
    }

    @Test
    void olderBwrapGetsNoDisableUserns() throws IOException {
        Files.createDirectories(tmp.resolve("ws"));
        SandboxSpec spec = new SandboxSpec("sb", "1-2-ab", IsolationPolicy.strict(), SandboxImage.host(), tmp.resolve("ws"),
                Map.of(), EventSink.discard());
        SandboxPlan plan = SandboxPlan.from(spec, new ProcessRequest(List.of("id"), Map.of(), "/"),
                new HostFacts(0, 0, tmp, List.of(), HostFacts.REAL));
        assertThat(BwrapArgs.of(plan, BwrapFeatures.of("0.6.1")).options()).doesNotContain("--disable-userns").contains("--add-seccomp-fd");
        assertThat(BwrapArgs.of(plan, BwrapFeatures.of("0.5.0")).options()).as("one program only before 0.6.0")
                .contains("--seccomp").doesNotContain("--add-seccomp-fd");
    }

    @Test
    void launcherArgumentsJoinCgroupsLowerRlimitsThenHandBwrapItsOptionsAndTheCommand() throws IOException {
        BwrapArgs.Invocation inv = invocation(IsolationPolicy.strict(), List.of("id", "--", "x"), Optional.empty());
        List<String> a = BwrapLauncher.launcherArgs(inv, Path.of("/usr/bin/bwrap"), 42, Optional.of(Path.of("/p/s.bpf")), true);
        assertThat(a.subList(0, 12)).containsExactly("--parent-pid", "42", "--cgroup-procs", "/cg/a/cgroup.procs",
                "--rlimit", "fsize=67108864", "--rlimit", "nofile=256", "--seccomp", "/p/s.bpf", "--bwrap", "/usr/bin/bwrap");
        assertThat(a.get(12)).isEqualTo("--options");
        int n = Integer.parseInt(a.get(13));
        assertThat(a.subList(14, 14 + n)).isEqualTo(inv.options());
        assertThat(a.subList(14 + n, a.size())).as("the command after the options, its own -- kept")
                .containsExactly("--", "id", "--", "x");
        assertThat(a).as("no staging, no id change without StagedBinds").doesNotContain("--host-uid", "--stage-own");
    }

    @Test
    void asTheHostsNobodyOwnBindsAreIdmappedUnreachableOnesStagedAndBwrapBindsTheMountPoints() throws IOException {
        Path ro = Files.createDirectories(tmp.resolve("ro"));
        Path rootfsFile = Files.writeString(tmp.resolve("f.txt"), "x");
        IsolationPolicy p = IsolationPolicy.strict().toBuilder().filesystem(fs -> fs.readOnly(ro, "/data")
                .readOnly(rootfsFile, "/opt/f.txt")).build();
        Files.createDirectories(tmp.resolve("ws"));
        SandboxSpec spec = new SandboxSpec("sb", "1-2-ab", p, SandboxImage.host(), tmp.resolve("ws"), Map.of(), EventSink.discard());
        SandboxPlan plan = SandboxPlan.session(spec, new HostFacts(0, 0, tmp.resolve("p"), List.of(), HostFacts.REAL));
        Path stage = Path.of("/p/stage");
        StagedBinds staging = StagedBinds.of(plan, new int[] {65534, 65534},
                java.util.Set.of(dev.sandbox4j.Mount.readOnly(ro, "/data"), dev.sandbox4j.Mount.readOnly(rootfsFile, "/opt/f.txt")), java.util.Set.of("/etc/passwd"), stage,
                path -> !path.equals(Path.of("/usr")), Files::isDirectory);
        assertThat(staging.stages().values()).extracting(s -> s.kind() + " " + s.host() + " " + s.mountPoint() + " " + s.directory())
                .containsExactly("PLAIN_RO /usr /p/stage/0 true", "OWN " + tmp.resolve("ws") + " /p/stage/1 true",
                        "OWN_RO " + ro + " /p/stage/2 true", "OWN_RO " + rootfsFile + " /p/stage/3 false");
        assertThat(staging.guarded()).as("a writable idmapped bind: the launcher loads the setuid guard").isTrue();
        BwrapArgs.Invocation inv = BwrapArgs.of(plan.forExec(new ProcessRequest(List.of("id"), Map.of(), "/")),
                BwrapFeatures.of("0.8.0"), Optional.empty(), Path.of("/c"), Optional.empty(), staging);
        assertSequence(inv.options(), "--ro-bind", "/p/stage/0", "/usr");
        assertSequence(inv.options(), "--bind", "/p/stage/1", "/workspace");
        assertSequence(inv.options(), "--ro-bind", "/p/stage/2", "/data");
        assertThat(inv.options()).doesNotContain(tmp.resolve("ws").toString(), ro.toString());
        List<String> a = BwrapLauncher.launcherArgs(inv, Path.of("/b"), 1, Optional.empty(), true);
        assertSequence(a, "--host-uid", "65534", "--host-gid", "65534");
        assertSequence(a, "--stage-own", tmp.resolve("ws").toString(), "/p/stage/1");
        assertSequence(a, "--stage-ro-own", ro.toString(), "/p/stage/2");
        assertSequence(a, "--stage-ro", "/usr", "/p/stage/0");
        assertThat(a.indexOf("--stage-own")).as("launcher flags before the bwrap options").isLessThan(a.indexOf("--options"));
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

    @Test
    void theEtcViewReplacesThePerFileBindsAndIsMadeReadOnly() throws IOException {
        Files.createDirectories(tmp.resolve("ws"));
        SandboxSpec spec = new SandboxSpec("sb", "1-2-ab", IsolationPolicy.strict(), SandboxImage.host(), tmp.resolve("ws"),
                Map.of(), EventSink.discard());
        Path priv = Files.createDirectories(tmp.resolve("priv"));
        SandboxPlan plan = SandboxPlan.from(spec, new ProcessRequest(List.of("id"), Map.of(), "/"),
                new HostFacts(0, 0, priv, List.of(), HostFacts.REAL));
        for (var f : plan.generatedFiles().entrySet()) {
            Files.createDirectories(f.getKey().getParent());
            Files.writeString(f.getKey(), f.getValue());
        }
        EtcView etc = EtcView.materialize(plan, priv).orElseThrow();
        assertThat(etc.consolidated()).contains("/etc/passwd", "/etc/group", "/etc/hosts").doesNotContain("/etc/ssl");
        assertThat(Files.readString(etc.dir().resolve("passwd"))).startsWith("root:x:0:0:");
        if (Files.isRegularFile(Path.of("/etc/ld.so.cache"))) {
            assertThat(etc.dir().resolve("ld.so.cache")).hasSameBinaryContentAs(Path.of("/etc/ld.so.cache"));
        }
        List<String> o = BwrapArgs.of(plan, BwrapFeatures.of("0.8.0"), Optional.empty(), Path.of("/c"), Optional.of(etc), StagedBinds.none()).options();
        assertSequence(o, "--bind", etc.dir().toString(), "/etc");
        assertThat(o).doesNotContain("/etc/passwd", "/etc/ld.so.cache");
        if (Files.isDirectory(Path.of("/etc/ssl"))) {
            assertSequence(o, "--ro-bind", "/etc/ssl", "/etc/ssl");
            assertThat(o.indexOf("/etc/ssl")).isGreaterThan(o.indexOf(etc.dir().toString()));
        }
        assertSequence(o, "--remount-ro", "/etc", "--remount-ro", "/");
        int view = o.indexOf(etc.dir().toString());
        for (int i = 0; i < o.size(); i++) {
            if (o.get(i).startsWith("/etc/")) {
                assertThat(i).as("%s is mounted after the view, which would cover it: %s", o.get(i), o).isGreaterThan(view);
            }
        }
    }

    @Test
    void theEtcViewIsBoundBeforeADirectoryBindThatSortsFirst() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("aaa-dir"));
        Files.createDirectories(tmp.resolve("ws"));
        IsolationPolicy policy = IsolationPolicy.strict().toBuilder().filesystem(fs -> fs.readOnly(dir, "/etc/aaa")).build();
        SandboxSpec spec = new SandboxSpec("sb", "1-2-ab", policy, SandboxImage.host(), tmp.resolve("ws"), Map.of(), EventSink.discard());
        Path priv = Files.createDirectories(tmp.resolve("priv"));
        SandboxPlan plan = SandboxPlan.from(spec, new ProcessRequest(List.of("id"), Map.of(), "/"),
                new HostFacts(0, 0, priv, List.of(), HostFacts.REAL));
        EtcView etc = EtcView.materialize(plan, priv).orElseThrow();
        List<String> o = BwrapArgs.of(plan, BwrapFeatures.of("0.8.0"), Optional.empty(), Path.of("/c"), Optional.of(etc), StagedBinds.none()).options();
        assertThat(o.indexOf("/etc/aaa")).as("the policy's /etc/aaa is bound after (so inside) the view: %s", o)
                .isGreaterThan(o.indexOf(etc.dir().toString()));
        assertThat(Files.isDirectory(etc.dir().resolve("aaa"))).as("its mount point is made in the view").isTrue();
    }

    @Test
    void asTheHostsNobodyTheEtcDirectoriesAreStagedIntoTheViewUnlessSomethingIsMountedBelowThem() throws IOException {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(Path.of("/etc/ssl/certs")), "no /etc/ssl/certs here");
        Path certs = Files.createDirectories(tmp.resolve("certs"));
        Files.createDirectories(tmp.resolve("ws"));
        IsolationPolicy nested = IsolationPolicy.strict().toBuilder().filesystem(fs -> fs.readOnly(certs, "/etc/ssl/certs")).build();
        for (IsolationPolicy policy : List.of(IsolationPolicy.strict(), nested)) {
            SandboxSpec spec = new SandboxSpec("sb", "1-2-ab", policy, SandboxImage.host(), tmp.resolve("ws"), Map.of(), EventSink.discard());
            Path priv = Files.createDirectories(tmp.resolve("priv-" + (policy == nested)));
            SandboxPlan plan = SandboxPlan.session(spec, new HostFacts(0, 0, priv, List.of(), HostFacts.REAL));
            EtcView etc = EtcView.materialize(plan, priv).orElseThrow();
            StagedBinds staging = StagedBinds.of(plan, new int[] {65534, 65534}, java.util.Set.of(), etc.consolidated(),
                    Optional.of(etc.dir()), priv.resolve("stage"), path -> true, Files::isDirectory);
            BwrapArgs.Invocation inv = BwrapArgs.of(plan.forExec(new ProcessRequest(List.of("id"), Map.of(), "/")),
                    BwrapFeatures.of("0.8.0"), Optional.empty(), Path.of("/c"), Optional.of(etc), staging);
            List<String> a = BwrapLauncher.launcherArgs(inv, Path.of("/b"), 1, Optional.empty(), true);
            if (policy == nested) {
                assertThat(staging.stages().values()).as("a mount below /etc/ssl: bwrap binds /etc/ssl itself, then that mount in it")
                        .noneMatch(st -> st.host().equals(Path.of("/etc/ssl")));
                assertSequence(inv.options(), "--ro-bind", "/etc/ssl", "/etc/ssl");
                assertThat(inv.options().indexOf("/etc/ssl/certs")).isGreaterThan(inv.options().indexOf("/etc/ssl"));
                continue;
            }
            assertThat(staging.stages().values()).filteredOn(StagedBinds.Stage::inEtcView)
                    .extracting(st -> st.kind() + " " + st.host() + " " + st.mountPoint() + " " + st.directory())
                    .contains("PLAIN_RO /etc/ssl " + etc.dir().resolve("ssl") + " true");
            assertThat(Files.isDirectory(etc.dir().resolve("ssl"))).as("the view holds the mount point").isTrue();
            assertThat(inv.options()).as("the view's bind carries it").doesNotContain("/etc/ssl");
            assertSequence(inv.options(), "--bind", etc.dir().toString(), "/etc");
            assertSequence(a, "--stage-ro", "/etc/ssl", etc.dir().resolve("ssl").toString());
        }
    }
}
