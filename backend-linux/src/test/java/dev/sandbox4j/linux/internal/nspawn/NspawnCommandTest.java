package dev.sandbox4j.linux.internal.nspawn;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandbox4j.NetworkPolicy;
import dev.sandbox4j.linux.internal.rlimit.Rlimits;
import dev.sandbox4j.linux.internal.rootfs.ExecArgs;
import dev.sandbox4j.linux.internal.rootfs.HostTools;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The options of an nspawn exec for each network mode and limit. Pure. */
class NspawnCommandTest {
    private static final HostTools TOOLS = new HostTools("/x", Map.of("nsenter", Path.of("/x/nsenter"), "systemd-nspawn",
            Path.of("/x/systemd-nspawn")), List.of());
    private static final ExecArgs.Exec EXEC = new ExecArgs.Exec(Map.of("PATH", "/bin"), "/workspace", List.of("env"));

    private static List<String> argv(NetworkPolicy.Mode net, List<Rlimits.Limit> limits) {
        return NspawnCommand.argv(TOOLS, Path.of("/proc/9/ns/mnt"), Path.of("/proc/9/ns/net"), Path.of("/p/root"),
                "s4j-abc-1", net, limits, List.of(Path.of("/cg/cgroup.procs")), "/workspace", Path.of("/p/exec/1"),
                List.of("/.sandbox4j/s4j-launch", "--guard", "--seccomp", "/.sandbox4j/seccomp.bpf", "--"));
    }

    @Test
    void networkNoneJoinsTheHoldersEmptyNamespace() {
        List<String> a = argv(NetworkPolicy.Mode.NONE, List.of());
        assertThat(a).contains("--net=/proc/9/ns/net").doesNotContain("--private-network");
    }

    @Test
    void networkLoopbackGetsAPrivateNetwork() {
        List<String> a = argv(NetworkPolicy.Mode.LOOPBACK, List.of());
        assertThat(a).contains("--private-network").doesNotContain("--net=/proc/9/ns/net");
    }

    @Test
    void networkHostAddsNeither() {
        List<String> a = argv(NetworkPolicy.Mode.HOST, List.of());
        assertThat(a).doesNotContain("--private-network", "--net=/proc/9/ns/net");
    }

    @Test
    void theContainerIsLockedDown() {
        List<String> a = argv(NetworkPolicy.Mode.NONE,
                List.of(new Rlimits.Limit(Rlimits.Resource.NOFILE, 77), new Rlimits.Limit(Rlimits.Resource.FSIZE, 1024)));
        assertThat(a).contains("--register=no", "--keep-unit", "--as-pid2", "--console=pipe", "--directory=/p/root",
                "--drop-capability=all", "--no-new-privileges=yes", "--user=sandbox4j", "--system-call-filter=keyctl",
                "--chdir=/workspace",
                "--kill-signal=SIGKILL", "--resolv-conf=off", "--timezone=off", "--link-journal=no",
                "--rlimit=RLIMIT_NOFILE=77:77", "--rlimit=RLIMIT_FSIZE=1024:1024", "--machine=s4j-abc-1")
                .doesNotContain("--read-only");
        int nspawn = a.indexOf("/x/systemd-nspawn");
        assertThat(a.indexOf("/x/nsenter")).isLessThan(nspawn);
        assertThat(a.subList(a.size() - 9, a.size())).containsExactly("--bind-ro=/p/exec/1:/run/sandbox4j-exec", "--",
                "/.sandbox4j/s4j-launch", "--guard", "--seccomp", "/.sandbox4j/seccomp.bpf", "--", "/bin/sh",
                "/run/sandbox4j-exec");
        assertThat(String.join(" ", a)).as("no environment value on nspawn's command line").doesNotContain("PATH=/bin");
        assertThat(NspawnCommand.ENVIRONMENT).containsEntry("SYSTEMD_NSPAWN_LOCK", "0")
                .containsEntry("SYSTEMD_NSPAWN_TMPFS_TMP", "0");
    }

    @Test
    void theScriptRunsTheCommandWithExactlyItsEnvironmentAndReportsItsStatus() {
        assertThat(NspawnCommand.script(new ExecArgs.Exec(Map.of("PATH", "/bin", "Q", "it's\nsecret"), "/workspace",
                List.of("printf", "%s", "a b"))))
                .isEqualTo("# sandbox4j exec\n'env' '-i' '--' 'PATH=/bin' 'Q=it'\\''s\nsecret' 'printf' '%s' 'a b'\nexit $?\n");
    }
}
