package dev.sandbox4j.container.internal.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandbox4j.container.internal.engine.ExecAttach;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ExecScriptsTest {
    @Test
    void exportedNamesOfDashAshAndBash() {
        assertThat(ExecScripts.exportedNames("export HOSTNAME='abc'\nexport PWD='/'\nexport container='podman'\n"))
                .containsExactly("HOSTNAME", "PWD", "container");
        assertThat(ExecScripts.exportedNames("declare -x HOME=\"/root\"\ndeclare -x OLDPWD\nnot a line\n"))
                .containsExactly("HOME", "OLDPWD");
    }

    @Test
    void wrapperReportsItsPidUnsetsAndExecsTheArgvUnchanged() {
        List<String> argv = ExecScripts.wrapped(List.of("printf", "%s\\n", "a b", "$HOME"), Set.of("PWD", "HOSTNAME"));
        assertThat(argv.subList(0, 2)).containsExactly("/bin/sh", "-c");
        assertThat(argv.get(2)).startsWith("printf '" + ExecAttach.PID_MARK + "%s\\n' \"$$\" >&2")
                .contains("; unset HOSTNAME PWD;").endsWith("exec \"$@\"");
        assertThat(argv.subList(3, argv.size())).containsExactly(ExecScripts.WRAPPER_NAME, "printf", "%s\\n", "a b", "$HOME");
    }

    @Test
    void theWrapperAndTheKillScriptRunUnderThisHostsSh() throws Exception {
        // the wrapper: pid line first on stderr, the argv exactly, PWD removed
        Process p = new ProcessBuilder(ExecScripts.wrapped(List.of("sh", "-c", "echo \"$1|${PWD-unset}\"", "x", "a b"), Set.of("PWD")))
                .start();
        String out = new String(p.getInputStream().readAllBytes());
        String err = new String(p.getErrorStream().readAllBytes());
        p.waitFor();
        assertThat(err).isEqualTo(ExecAttach.PID_MARK + p.pid() + "\n");
        assertThat(out).startsWith("a b|");
        // the kill script: a tree of three levels, one child in its own session, all gone
        Process tree = new ProcessBuilder("setsid", "sh", "-c", "sleep 300 & setsid sleep 301 & (sleep 302 &); wait").start();
        Thread.sleep(300);
        long root = tree.pid();
        Process kill = new ProcessBuilder("sh", "-c", ExecScripts.KILL_SCRIPT, "k", Long.toString(root)).start();
        assertThat(kill.waitFor()).isZero();
        assertThat(tree.waitFor()).isEqualTo(137);
        Thread.sleep(200);
        assertThat(ProcessHandle.allProcesses().filter(h -> h.info().commandLine().orElse("").matches("sleep 30[012]")
                && h.isAlive()).toList()).isEmpty();
    }
}
