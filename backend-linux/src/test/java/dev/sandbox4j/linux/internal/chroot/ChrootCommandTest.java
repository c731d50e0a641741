package dev.sandbox4j.linux.internal.chroot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandbox4j.ExecException;
import dev.sandbox4j.linux.internal.rlimit.Rlimits;
import dev.sandbox4j.linux.internal.rootfs.ExecArgs;
import dev.sandbox4j.linux.internal.rootfs.HostTools;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The order of a chroot exec's chain, which is what makes it safe. Pure. */
class ChrootCommandTest {
    private static final HostTools TOOLS = new HostTools("/x", Map.of("setsid", Path.of("/x/setsid"), "prlimit",
            Path.of("/x/prlimit"), "setpriv", Path.of("/x/setpriv"), "nsenter", Path.of("/x/nsenter")), List.of());
    private static final List<String> GUARD = List.of("/.sandbox4j/s4j-launch", "--guard", "--");

    private static List<String> argv(ExecArgs.Exec exec) {
        return ChrootCommand.argv(TOOLS, Path.of("/proc/9/ns/mnt"), Path.of("/proc/9/root/tmp/p/root"), 65534, 65534,
                List.of(new Rlimits.Limit(Rlimits.Resource.NOFILE, 77)), List.of(Path.of("/cg/a/cgroup.procs")), GUARD, exec);
    }

    @Test
    void cgroupsFirstThenLimitsThenNoNewPrivsThenChrootAndUidThenExactEnvironment() {
        List<String> a = argv(new ExecArgs.Exec(Map.of("PATH", "/bin", "B", "2"), "/workspace/sub", List.of("id", "-u")));
        assertThat(a.subList(0, 2)).containsExactly("/bin/sh", "-c");
        assertThat(a.get(2)).isEqualTo("for f in '/cg/a/cgroup.procs'; do echo $$ > \"$f\" || exit 126; done; exec \"$@\"");
        int setsid = a.indexOf("/x/setsid");
        int prlimit = a.indexOf("/x/prlimit");
        int setpriv = a.indexOf("/x/setpriv");
        int nsenter = a.indexOf("/x/nsenter");
        int guard = a.indexOf("/.sandbox4j/s4j-launch");
        int env = a.indexOf("env");
        assertThat(List.of(setsid, prlimit, setpriv, nsenter, guard, env)).isSorted().doesNotContain(-1);
        // the setuid guard and the policy's filter are loaded inside the root, after the uid change
        assertThat(a.subList(guard, guard + 4)).containsExactly("/.sandbox4j/s4j-launch", "--guard", "--", "/bin/sh");
        assertThat(a).contains("--nofile=77:77", "--no-new-privs", "--inh-caps=-all",
                "--bounding-set=-all,+setuid,+setgid,+sys_admin,+sys_chroot,+sys_ptrace",
                "--mount=/proc/9/ns/mnt", "--root=/proc/9/root/tmp/p/root", "--wd=/proc/9/root/tmp/p/root",
                "--setuid=65534", "--setgid=65534");
        // the working directory is entered inside the root, by the image's shell
        assertThat(a.subList(a.lastIndexOf("/bin/sh"), env)).containsExactly("/bin/sh", "-c",
                "cd \"$1\" || exit 126; shift; exec \"$@\"", "sandbox4j-chdir", "/workspace/sub");
        assertThat(a.subList(env, a.size())).containsExactly("env", "-i", "--", "B=2", "PATH=/bin", "id", "-u");
    }

    @Test
    void noPrlimitWithoutRlimits() {
        List<String> a = ChrootCommand.argv(TOOLS, Path.of("/m"), Path.of("/r"), 1000, 1000, List.of(), List.of(), GUARD,
                new ExecArgs.Exec(Map.of(), "/workspace", List.of("true")));
        assertThat(a).doesNotContain("/x/prlimit").contains("--setuid=1000");
        assertThat(a.get(2)).isEqualTo("exec \"$@\"");
    }

    @Test
    void aProgramNameWithEqualsIsRefused() {
        assertThatThrownBy(() -> argv(new ExecArgs.Exec(Map.of(), "/workspace", List.of("A=b", "x"))))
                .isInstanceOf(ExecException.class).hasMessageContaining("'A=b'");
    }
}
