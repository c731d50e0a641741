package dev.sandbox4j.container.internal.session;

import dev.sandbox4j.container.internal.engine.ExecAttach;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The two POSIX sh scripts that make an engine's exec killable, and the calibration of the environment.
 * Builtins only (read, kill, case, parameter expansion), so they run under dash, busybox ash or bash,
 * and the kill script still works when the pids limit leaves no room for another process to fork.
 *
 * <p>The Exec API has no kill. So every command runs under {@link #wrapper}: it reports its pid on the
 * first stderr line ({@link ExecAttach#PID_MARK}, taken off the stream by {@link ExecAttach}), removes
 * the variables the engine and the shell add, and {@code exec}s the command, which so keeps that pid. The
 * engine (runc) starts every exec as a session and process-group leader, so everything the command
 * starts carries its pid as session id, unless it calls setsid. {@link #KILL_SCRIPT} runs as a second
 * exec: it stops every process whose session, group or parent is in the set (growing the set until it
 * stops growing, so a forking child cannot slip out between the scan and the kill), then kills them all.
 * A daemon that left the session and whose parent already died is no longer the exec's: close() removes
 * it with the container. Stateless.
 */
public final class ExecScripts {
    /** argv[0] of the wrapper's shell: what its error messages start with. */
    static final String WRAPPER_NAME = "sandbox4j";

    /** Kill every process of the tree rooted at the pid given as $1. */
    public static final String KILL_SCRIPT = String.join("\n",
            "P=$1; S=\" $P \"; kill -STOP $P 2>/dev/null; r=0",
            "while [ $r -lt 200 ]; do",
            "  new=''",
            "  for d in /proc/[0-9]*; do",
            "    n=${d#/proc/}",
            "    case \"$S\" in *\" $n \"*) continue;; esac",
            "    [ \"$n\" = \"$$\" ] && continue",
            "    l=''; read -r l 2>/dev/null < \"$d/stat\" || [ -n \"$l\" ] || continue",
            "    set -- ${l##*) }",
            "    case \"$S\" in *\" $2 \"*|*\" $3 \"*|*\" $4 \"*) new=\"$new $n\";; esac",
            "  done",
            "  [ -z \"$new\" ] && break",
            "  kill -STOP $new 2>/dev/null",
            "  S=\"$S${new# } \"",
            "  r=$((r+1))",
            "done",
            "kill -KILL $S 2>/dev/null; kill -CONT $S 2>/dev/null; exit 0");

    /** Prints every exported variable; run once per sandbox to learn what the engine and the shell add. */
    static final String CALIBRATE_SCRIPT = "export -p";

    private ExecScripts() {
    }

    /** The argv that runs {@code argv} under the wrapper, unsetting {@code unset} first. */
    static List<String> wrapped(List<String> argv, Collection<String> unset) {
        StringBuilder script = new StringBuilder("printf '" + ExecAttach.PID_MARK + "%s\\n' \"$$\" >&2");
        if (!unset.isEmpty()) {
            script.append("; unset");
            new TreeSet<>(unset).forEach(n -> script.append(' ').append(n));
        }
        script.append("; exec \"$@\"");
        List<String> out = new ArrayList<>(List.of("/bin/sh", "-c", script.toString(), WRAPPER_NAME));
        out.addAll(argv);
        return out;
    }

    /**
     * The variable names in {@code export -p} output: lines {@code export NAME='v'} (dash, ash),
     * {@code export NAME="v"} or {@code declare -x NAME="v"} (bash).
     */
    public static Set<String> exportedNames(String exportOutput) {
        Set<String> names = new TreeSet<>();
        for (String line : exportOutput.split("\n")) {
            String rest;
            if (line.startsWith("export ")) {
                rest = line.substring(7);
            } else if (line.startsWith("declare -x ")) {
                rest = line.substring(11);
            } else {
                continue;
            }
            int eq = rest.indexOf('=');
            String name = (eq < 0 ? rest : rest.substring(0, eq)).strip();
            if (name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                names.add(name);
            }
        }
        return names;
    }
}
