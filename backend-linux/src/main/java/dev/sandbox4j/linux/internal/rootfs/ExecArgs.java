package dev.sandbox4j.linux.internal.rootfs;

import dev.sandbox4j.ExecException;
import dev.sandbox4j.linux.internal.plan.SandboxPlan;
import dev.sandbox4j.linux.internal.plan.Step;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The parts of an exec plan that every root-file-system engine turns into the same arguments: the command
 * run through {@code env -i -- NAME=value... argv} inside the root, so that it gets exactly the request's
 * environment and nothing the engine adds (systemd-nspawn sets container=, container_uuid=, HOME, USER and
 * more; a shell adds PWD), and the cgroup join that starts every chain. Pure.
 *
 * <p>The values travel on env's command line until env execs the command: for chroot, on the command line of
 * the whole exec chain for the few milliseconds it takes to reach env; for nspawn only on env's (the chain
 * reads them from a script file). Another user of the host could read them in that window, never later.
 */
public final class ExecArgs {
    /** Exit status of the chain when it could not join the exec's cgroups. */
    public static final int JOIN_FAILED = 126;

    private ExecArgs() {
    }

    /** The exec steps of a plan. */
    public record Exec(Map<String, String> env, String workdir, List<String> argv) {
        public Exec {
            env = new TreeMap<>(env);
            argv = List.copyOf(argv);
        }
    }

    public static Exec of(SandboxPlan plan) {
        Map<String, String> env = new TreeMap<>();
        String workdir = SandboxPlan.WORKSPACE;
        List<String> argv = List.of();
        for (Step s : plan.steps()) {
            if (s instanceof Step.SetEnv e) {
                env.put(e.name(), e.value());
            } else if (s instanceof Step.Chdir c) {
                workdir = c.dir();
            } else if (s instanceof Step.Exec e) {
                argv = e.argv();
            }
        }
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("plan has no exec step:\n" + plan);
        }
        return new Exec(env, workdir, argv);
    }

    /**
     * {@code env -i -- NAME=value... argv}.
     *
     * @throws ExecException when the program's name holds '=' (env would take it for a variable)
     */
    public static List<String> envCommand(Exec exec) {
        String program = exec.argv().get(0);
        if (program.contains("=")) {
            throw new ExecException("cannot run '" + program + "': a program name with '=' cannot be started through"
                    + " env(1), which would read it as a variable; rename the program");
        }
        List<String> out = new ArrayList<>(List.of("env", "-i", "--"));
        exec.env().forEach((k, v) -> out.add(k + "=" + v));
        out.addAll(exec.argv());
        return out;
    }

    /**
     * {@code /bin/sh -c 'for f in <procs>; do echo $$ > "$f" || exit 126; done; exec "$@"' name}: the first
     * process of a chain joins the exec's cgroups before it execs anything, so that everything it starts is
     * counted and killable; append the rest of the chain.
     */
    public static List<String> joinCgroups(List<Path> procsFiles, String name) {
        StringBuilder s = new StringBuilder();
        if (!procsFiles.isEmpty()) {
            s.append("for f in");
            procsFiles.forEach(p -> s.append(' ').append(Sh.quote(p.toString())));
            s.append("; do echo $$ > \"$f\" || exit ").append(JOIN_FAILED).append("; done; ");
        }
        s.append("exec \"$@\"");
        return new ArrayList<>(List.of("/bin/sh", "-c", s.toString(), name));
    }
}
