package dev.sandbox4j.container.internal.runsc;

/**
 * The POSIX sh script that kills one command's whole tree inside the sandbox, run with {@code runsc
 * exec}: builtins only (read, kill, case), so it runs under dash or busybox ash. It stops every process
 * whose session, group or parent is in the set, growing the set until it stops growing (a forking child
 * cannot slip out between the scan and the kill), then kills them all. The exec agent starts each
 * command under {@code setsid} where the image has it, so its descendants carry its session id even
 * after their parent died; a daemon that left the session and lost its parent is not the command's any
 * more: close() ends it with the sandbox. The same algorithm as the engine path's kill script.
 */
final class KillScript {
    /** $1: the pid of the command's root inside the sandbox. */
    static final String SCRIPT = String.join("\n",
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

    private KillScript() {
    }
}
