package dev.sandbox4j.container.internal.agent;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The in-container exec agent, in POSIX sh (builtins only but for an optional {@code setsid}), and the
 * per-command scripts it runs.
 *
 * <p>Why an agent: an engine exec costs the engine, containerd and a {@code runc exec} (50-100 ms here),
 * which is what {@code docker exec} costs too. The agent is the container's own main process (so opening
 * a sandbox costs no exec either), under the init as PID 1; it reads
 * request ids from a FIFO and forks each command with its stdin, stdout and stderr on FIFOs the JVM made
 * in a host directory that is bind-mounted read-only into the container (writing to a FIFO on a
 * read-only mount is allowed; creating, renaming or replacing entries is not, so the sandbox cannot swap
 * a FIFO for a symlink to a host file). A command then costs a fork and an exec.
 *
 * <p>Each request is served by a subshell of its own, detached from the loop, so that no FIFO open of one
 * request (waiting for the JVM's end) can hold up the next. Each command is double-forked, so tini (PID 1)
 * reaps it, and its pid is reported on a FIFO for the
 * kill script; the command itself runs under {@code setsid} when the image has one, so that everything it
 * starts carries its session id, as with an engine exec. The command's wrapper opens the {@code exit} FIFO
 * before the command starts and holds it (the command does not inherit it) until it writes the status: a
 * wrapper killed from inside ({@code kill -9 -1} as the sandbox's uid reaches the agent and every wrapper)
 * closes it with nothing written, which the JVM reads at once as a kill (137), instead of waiting for a status
 * that never comes.
 */
final class AgentScripts {
    /** The line the agent prints after its {@code export -p} (the session's calibration) and before serving. */
    static final String READY = "sandbox4j-agent-ready";

    /**
     * $1: the control directory inside. The agent is the container's main process (tini's child): it holds
     * the {@code alive} FIFO open for its whole life (no child inherits it, so the JVM reads its end there the
     * moment the agent dies), writes its calibration to the {@code ready} FIFO, then serves the request FIFO
     * until the JVM closes it; when it ends, tini ends and the container stops.
     */
    static final String AGENT = String.join("\n",
            "c=$1",
            "exec 4>\"$c/alive\" || exit 125",
            "{ export -p; echo " + READY + "; } >\"$c/ready\" || exit 125",
            "while read -r id; do",
            "  case \"$id\" in ''|*[!a-z0-9]*) continue;; esac",
            "  d=\"$c/$id\"",
            "  ( ( { sh \"$d/cmd\" <\"$d/in\" >\"$d/out\" 2>\"$d/err\" 3>&-; echo \"$?\" >&3; } 3>\"$d/exit\" &",
            "    echo \"$!\" >\"$d/pid\" ) & ) 4>&-",
            "done <\"$c/requests\"");

    private AgentScripts() {
    }

    /** The script of one command: the environment exactly, the working directory, then exec. */
    static String command(List<String> argv, Map<String, String> env, String workdir, Set<String> unset) {
        return command(argv, env, workdir, unset, List.of());
    }

    /**
     * The script of one command, run under {@code prefix} when it is not empty: a program (the seccomp
     * helper) that takes a path to execute, which is then {@code /bin/sh -c 'exec "$@"'}, so the command is
     * still looked up on the PATH.
     */
    static String command(List<String> argv, Map<String, String> env, String workdir, Set<String> unset,
                          List<String> prefix) {
        StringBuilder s = new StringBuilder();
        s.append("cd -- ").append(quote(workdir)).append(" || exit 126\n");
        // after cd: the shell sets PWD and OLDPWD, which the command did not ask for
        Set<String> drop = new TreeSet<>(unset);
        drop.add("PWD");
        drop.add("OLDPWD");
        drop.removeAll(env.keySet());
        if (!drop.isEmpty()) {
            s.append("unset");
            drop.forEach(n -> s.append(' ').append(n));
            s.append('\n');
        }
        env.forEach((k, v) -> s.append("export ").append(k).append('=').append(quote(v)).append('\n'));
        String prog = quote(argv.get(0));
        s.append("command -v ").append(prog).append(" >/dev/null 2>&1 || { printf '%s\\n' ")
                .append(quote("sandbox4j: " + argv.get(0) + ": not found")).append(" >&2; exit 127; }\n");
        StringBuilder args = new StringBuilder();
        if (!prefix.isEmpty()) {
            for (String a : prefix) {
                args.append(' ').append(quote(a));
            }
            // the second shell sets PWD and SHLVL (and may OLDPWD) again: back to what the command asked for
            StringBuilder inner = new StringBuilder();
            for (String n : List.of("PWD", "OLDPWD", "SHLVL")) {
                inner.append(env.containsKey(n) ? "export " + n + "=" + quote(env.get(n)) : "unset " + n).append("; ");
            }
            inner.append("exec \"$@\"");
            args.append(" /bin/sh -c ").append(quote(inner.toString())).append(" sh");
        }
        for (String a : argv) {
            args.append(' ').append(quote(a));
        }
        // a session of its own when the image has setsid (it does not fork: we are no group leader)
        s.append("if command -v setsid >/dev/null 2>&1; then exec setsid").append(args).append("; fi\n");
        s.append("exec").append(args).append('\n');
        return s.toString();
    }

    /** Single-quotes {@code v} for sh: every byte literal, ' written as '\''. */
    static String quote(String v) {
        return "'" + v.replace("'", "'\\''") + "'";
    }
}
