package dev.sandbox4j.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandbox4j.Command;
import dev.sandbox4j.ExecResult;
import dev.sandbox4j.NetworkPolicy;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.spi.Capability;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The rules for background processes, the same on every backend: a process that an exec leaves running in
 * the background (nohup, setsid, a double fork; its stdio closed or redirected, so that it holds none of the
 * exec's pipes) keeps running after that exec returns, is reachable by the next exec (the same view of
 * processes: {@code kill -0 PID} and {@code kill PID} work; a server listening on 127.0.0.1 answers when the
 * network policy gives the sandbox a loopback), and dies at {@code close()}. An exec's return never waits
 * for such a process; a timeout kills the timed-out exec's whole tree, daemonised children included, and
 * nothing that an earlier exec left running. This is what agents do: start a server in one call, use it in
 * the next. Not meant to be extended directly: extend {@link SandboxContractTest}.
 *
 * <p>A backend that keeps them claims {@link Capability#KEEP_BACKGROUND}. One that does not keep these rules
 * yet says so in its test class ({@link #knownBackgroundGap()}) and does not claim it:
 * the rules above are then skipped, visibly, naming the gap, and {@link #backgroundKnownGapAsDeclared()} checks
 * that the backend does what the gap says (which its README entry documents), so the skip cannot hide a
 * change either way.
 */
public abstract class BackgroundContract extends LoadAttackContract {
    private static final Duration EXEC_TIMEOUT = Duration.ofSeconds(60);
    private static final SecureRandom RANDOM = new SecureRandom();

    /** What a backend that does not keep the background rules yet does instead (issue 19). */
    public enum BackgroundGap {
        /**
         * Each exec is a pid namespace of its own, which dies with the exec: a background process is killed
         * when the exec that started it returns.
         */
        KILLED_WHEN_EXEC_RETURNS,
        /**
         * Each exec has pid and network namespaces of its own: a background process keeps running until
         * {@code close()}, but no later exec can see, signal or connect to it.
         */
        UNREACHABLE_UNTIL_CLOSE
    }

    /**
     * The gap the backend under test has to the background rules, if any. Default: none (every rule applies).
     * Declaring one skips those rules, naming it, and runs {@link #backgroundKnownGapAsDeclared()} instead.
     */
    protected Optional<BackgroundGap> knownBackgroundGap() {
        return Optional.empty();
    }

    @Test
    @DisplayName("background: a backend with a declared gap does what the gap says, returns at once, and leaves nothing after close()")
    void backgroundKnownGapAsDeclared() throws Exception {
        BackgroundGap gap = knownBackgroundGap().orElse(null);
        if (gap == null) {
            Assumptions.abort(backendName() + " declares no background gap: the background rules apply to it in full");
            return;
        }
        Sandbox s = newSandbox(basePolicy());
        requireTool(s, "setsid", "a daemonised process's fate as the declared gap says");
        String mark = unique();
        String entry = ContractCommands.MARK + "=" + mark;
        String started = "daemon-started-" + mark;
        ExecResult r = s.exec(Command.shell(ContractCommands.daemonise(started)).env(ContractCommands.MARK, mark)
                .timeout(EXEC_TIMEOUT));
        assertThat(r.timedOut()).as("the exec waited for its daemon instead of returning: %s", r).isFalse();
        assertSucceeded(r);
        switch (gap) {
            case KILLED_WHEN_EXEC_RETURNS -> assertThat(HostProbes.awaitNoProcessWithEnv(entry, Duration.ofSeconds(5)))
                    .as("%s declares %s, but the daemon outlived its exec: the gap is closed, remove the declaration", backendName(), gap)
                    .isEmpty();
            case UNREACHABLE_UNTIL_CLOSE -> {
                Thread.sleep(500);
                assertThat(HostProbes.processesWithEnv(entry)).as("%s declares %s, but the daemon died when its exec returned",
                        backendName(), gap).isNotEmpty();
                requireProc(s, "a later exec cannot see the daemon");
                assertThat(assertSucceeded(s.exec(Command.shell(ContractCommands.processesWithEnvInside(entry)))).stdout())
                        .as("%s declares %s, but a later exec sees the daemon: the gap is closed, remove the declaration",
                                backendName(), gap).isEmpty();
            }
            default -> throw new IllegalStateException(gap.name());
        }
        s.close();
        assertNoneLeftOnHost(mark);
    }

    @Test
    @DisplayName("background: the backend claims KEEP_BACKGROUND exactly when it keeps the background rules")
    void backgroundClaimMatchesTheRules() {
        assertThat(capabilities().contains(Capability.KEEP_BACKGROUND))
                .as("%s claims KEEP_BACKGROUND: %s; its declared gap: %s (a claim without the rules, or the rules"
                        + " without the claim, misleads the tools that describe a backend to a model)",
                        backendName(), capabilities().contains(Capability.KEEP_BACKGROUND), knownBackgroundGap())
                .isEqualTo(knownBackgroundGap().isEmpty());
    }

    private void abortOnKnownGap() {
        knownBackgroundGap().ifPresent(gap -> Assumptions.abort("known gap of " + backendName() + " (issue 19): " + gap
                + "; backgroundKnownGapAsDeclared checks what it does instead"));
    }

    @Test
    @DisplayName("background: 'nohup CMD &' outlives its exec, which returns at once, and the next exec reaches it")
    void backgroundNohupOutlivesItsExec() throws Exception {
        abortOnKnownGap();
        Sandbox s = newSandbox(basePolicy());
        requireTool(s, "nohup", "a nohup'ed process outlives its exec");
        String mark = unique();
        ExecResult started = s.exec(Command.shell("nohup sleep 300 </dev/null >/dev/null 2>&1 & echo $!")
                .env(ContractCommands.MARK, mark).timeout(EXEC_TIMEOUT));
        long pid = startedPid(started, "nohup sleep 300 &");
        assertAlive(s, pid, mark, "the nohup'ed sleep " + pid + " of the previous exec");
        closeAndCheck(s, mark, pid);
        assertNoneLeftOnHost(mark);
    }

    @Test
    @DisplayName("background: a daemon (setsid, stdio closed) outlives its exec; the next exec sees it, kills it, and the one after sees it gone")
    void backgroundDaemonReachableByNextExec() throws Exception {
        abortOnKnownGap();
        Sandbox s = newSandbox(basePolicy());
        requireTool(s, "setsid", "a daemonised process outlives its exec");
        String mark = unique();
        ExecResult started = s.exec(Command.shell(daemon("sleep 300")).env(ContractCommands.MARK, mark).timeout(EXEC_TIMEOUT));
        long pid = startedPid(started, "setsid sleep 300 &");
        assertAlive(s, pid, mark, "the daemonised sleep " + pid + " of the previous exec");
        ExecResult kill = s.exec(Command.of("kill", Long.toString(pid)));
        assertThat(kill.exitCode()).as("kill %s from a later exec: %s%nstderr: %s", pid, kill, kill.stderr()).isZero();
        assertThat(awaitGone(s, List.of(pid))).as("pids still alive after the later exec's kill").isEmpty();
        closeAndCheck(s, mark);
    }

    @Test
    @DisplayName("background: a double-forked child (its parent gone, stdio closed) outlives its exec and is reachable by the next")
    void backgroundDoubleForkOutlivesItsExec() throws Exception {
        abortOnKnownGap();
        Sandbox s = newSandbox(basePolicy());
        String mark = unique();
        // the subshell exits at once: the sleep is orphaned before the exec's shell returns
        ExecResult started = s.exec(Command.shell("( sleep 300 </dev/null >/dev/null 2>&1 & echo $! )")
                .env(ContractCommands.MARK, mark).timeout(EXEC_TIMEOUT));
        long pid = startedPid(started, "( sleep 300 & )");
        assertAlive(s, pid, mark, "the double-forked sleep " + pid + " of the previous exec");
        closeAndCheck(s, mark, pid);
    }

    @Test
    @DisplayName("background: a server started by one exec on 127.0.0.1 answers the next exec (network: loopback)")
    void backgroundServerAnswersNextExec() throws Exception {
        abortOnKnownGap();
        NetworkPolicy net = capabilities().contains(Capability.NETWORK_LOOPBACK) ? NetworkPolicy.loopback()
                : basePolicy().network();
        if (net.mode() == NetworkPolicy.Mode.NONE) {
            Assumptions.abort(backendName() + " claims no loopback (NETWORK_LOOPBACK) and its base policy has no network:"
                    + " no server can listen inside");
        }
        Sandbox s = newSandbox(p -> p.network(net));
        String mark = unique();
        int port = 20000 + RANDOM.nextInt(40000);
        String server;
        Command client;
        if (s.exec(Command.shell("command -v python3")).exitCode() == 0) {
            server = "python3 -c '" + pythonServer(port) + "'";
            client = Command.of("python3", "-c", pythonClient(port));
        } else if (s.exec(Command.shell("command -v httpd && command -v wget")).exitCode() == 0) {
            // busybox: httpd serves the file written here; wget retries while the server is still binding
            s.files().write("hello-" + mark, ("hello " + mark + "\n").getBytes(StandardCharsets.UTF_8));
            server = "httpd -f -p 127.0.0.1:" + port + " -h \"$PWD\"";
            client = Command.shell("i=0; until wget -q -O - http://127.0.0.1:" + port + "/hello-" + mark + "; do"
                    + " i=$((i+1)); [ $i -lt 300 ] || exit 1; sleep 0.1; done");
        } else {
            Assumptions.abort("neither python3 nor busybox's httpd and wget are in the image of " + backendName()
                    + ", so the rule 'a server started by one exec answers the next' cannot be checked here");
            return;
        }
        ExecResult started = s.exec(Command.shell(daemon(server)).env(ContractCommands.MARK, mark).timeout(EXEC_TIMEOUT));
        long pid = startedPid(started, "a server on 127.0.0.1:" + port);
        // the server may still be binding: the client retries for up to 30 s
        ExecResult reply = s.exec(client.timeout(EXEC_TIMEOUT));
        assertThat(reply.stdout().strip()).as("the reply of the server (pid %s) that the previous exec started: %s%nstderr: %s",
                pid, reply, reply.stderr()).isEqualTo("hello " + mark);
        closeAndCheck(s, mark, pid);
    }

    @Test
    @DisplayName("background: a timeout kills its own exec's tree, daemonised children included, and nothing an earlier exec left running")
    void backgroundTimeoutKillsOnlyItsOwnTree() throws Exception {
        abortOnKnownGap();
        Sandbox s = newSandbox(basePolicy());
        requireTool(s, "setsid", "a timeout kills only its own exec's tree");
        String mark = unique();
        long earlier = startedPid(s.exec(Command.shell(daemon("sleep 300")).env(ContractCommands.MARK, mark)
                .timeout(EXEC_TIMEOUT)), "setsid sleep 300 &");
        String pids = "timed-out-pids-" + mark;
        // each pid is written before the exec blocks: the file is complete when the timeout strikes
        ExecResult timedOut = s.exec(Command.shell(
                "sleep 301 </dev/null >/dev/null 2>&1 & echo $! > " + pids + ";"
                        + " " + daemon("sleep 302") + " >> " + pids + ";"
                        + " ( sleep 303 </dev/null >/dev/null 2>&1 & echo $! >> " + pids + " );"
                        + " echo ready; exec sleep 60")
                .env(ContractCommands.MARK, mark).timeout(Duration.ofSeconds(3)));
        assertThat(timedOut.timedOut()).as("%s%nstdout: %s%nstderr: %s", timedOut, timedOut.stdout(), timedOut.stderr()).isTrue();
        assertThat(timedOut.stdout()).as("the timed-out exec started its children before the timeout").contains("ready");
        List<Long> own = new ArrayList<>();
        for (String line : assertSucceeded(s.exec(Command.of("cat", pids))).stdout().strip().split("\\s+")) {
            own.add(Long.parseLong(line));
        }
        assertThat(own).as("the pids the timed-out exec wrote").hasSize(3);
        assertThat(awaitGone(s, own)).as("children of the timed-out exec (background, setsid, double-forked) still alive")
                .isEmpty();
        assertAlive(s, earlier, mark, "the daemon " + earlier + " that an earlier exec left running, after another exec's timeout");
        closeAndCheck(s, mark, earlier);
    }

    /**
     * A shell fragment that starts {@code command} as a daemon (its own session, stdio closed) and prints its
     * pid; {@code setsid -f} is not in every setsid, so the pid is the background job's, which execs the
     * command in the new session.
     */
    private static String daemon(String command) {
        return "setsid sh -c 'exec " + command.replace("'", "'\"'\"'") + "' </dev/null >/dev/null 2>&1 & echo $!";
    }

    /** The pid that {@code r} printed; fails, naming {@code what}, when the exec did not end at once with one. */
    private static long startedPid(ExecResult r, String what) {
        assertThat(r.timedOut()).as("the exec that started %s waited for it instead of returning: %s%nstderr: %s", what, r,
                r.stderr()).isFalse();
        assertSucceeded(r);
        String out = r.stdout().strip();
        assertThat(out).as("the pid of %s", what).matches("[0-9]+");
        return Long.parseLong(out);
    }

    /**
     * Asserts, from a new exec, that {@code pid} is alive ({@code kill -0}) and, where /proc is mounted, that it
     * carries {@code mark} in its environment (so it is the kit's process, not a reused pid). The environment
     * is read again for up to 5 s: a process in the middle of an execve (setsid, then sh, then the command)
     * shows an empty one for a moment, and so does a zombie, which never gets past this.
     */
    private void assertAlive(Sandbox s, long pid, String mark, String what) {
        String entry = ContractCommands.MARK + "=" + mark;
        ExecResult r = s.exec(Command.shell("i=0; while :; do kill -0 " + pid + " || exit 1;"
                + " [ -r /proc/self/environ ] || exit 0;"
                + " tr '\\000' '\\n' < /proc/" + pid + "/environ 2>/dev/null | grep -qxF '" + entry + "' && exit 0;"
                + " i=$((i+1)); [ $i -lt 50 ] || exit 2; sleep 0.1; done").timeout(EXEC_TIMEOUT));
        assertThat(r.exitCode()).as("%s must still run (exit 1: kill -0 failed, gone or not visible; exit 2: the pid is"
                + " another process, or a zombie): %s%nstderr: %s", what, r, r.stderr()).isZero();
    }

    /** The pids of {@code pids} still alive (kill -0) after up to 10 s of polling from new execs. */
    private static List<Long> awaitGone(Sandbox s, List<Long> pids) throws InterruptedException {
        List<Long> alive = new ArrayList<>(pids);
        for (int i = 0; i < 50 && !alive.isEmpty(); i++) {
            if (i > 0) {
                Thread.sleep(200);
            }
            alive.removeIf(p -> s.exec(Command.shell("kill -0 " + p + " 2>/dev/null")).exitCode() != 0);
        }
        return alive;
    }

    /**
     * Closes {@code s} and checks that no host process carries {@code mark} any more. A backend that does not
     * claim CONTAIN_DAEMONS ({@code none}) cannot kill a daemon at close: the kit kills {@code started} itself
     * first, from an exec, so that no test leaves a process on the host.
     */
    private void closeAndCheck(Sandbox s, String mark, long... started) throws InterruptedException {
        if (!capabilities().contains(Capability.CONTAIN_DAEMONS) && started.length > 0) {
            StringBuilder kill = new StringBuilder("kill -9");
            for (long p : started) {
                kill.append(' ').append(p);
            }
            s.exec(Command.shell(kill + " 2>/dev/null; true"));
        }
        s.close();
        assertNoneLeftOnHost(mark);
    }

    /** After close(): no host process carries {@code mark} (for a backend that claims CONTAIN_DAEMONS). */
    private void assertNoneLeftOnHost(String mark) throws InterruptedException {
        if (!capabilities().contains(Capability.CONTAIN_DAEMONS)) {
            return;
        }
        List<Long> left = HostProbes.awaitNoProcessWithEnv(ContractCommands.MARK + "=" + mark, Duration.ofSeconds(5));
        assertThat(left).as("background processes of the closed sandbox still alive on the host:%s", HostProbes.describe(left))
                .isEmpty();
    }

    /** A python3 program serving "hello MARK" to every connection on 127.0.0.1:port. No single quote. */
    private static String pythonServer(int port) {
        return "import os, socket\n"
                + "s = socket.socket()\n"
                + "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
                + "s.bind((\"127.0.0.1\", " + port + "))\n"
                + "s.listen(8)\n"
                + "while True:\n"
                + "    c, _ = s.accept()\n"
                + "    c.sendall((\"hello \" + os.environ[\"" + ContractCommands.MARK + "\"] + \"\\n\").encode())\n"
                + "    c.close()\n";
    }

    /** A python3 program printing what 127.0.0.1:port sends, retrying refused connections for up to 30 s. */
    private static String pythonClient(int port) {
        return "import socket, sys, time\n"
                + "for i in range(300):\n"
                + "    try:\n"
                + "        c = socket.create_connection((\"127.0.0.1\", " + port + "), 5)\n"
                + "        break\n"
                + "    except ConnectionRefusedError as e:\n"
                + "        err = e\n"
                + "        time.sleep(0.1)\n"
                + "else:\n"
                + "    sys.exit(\"no server on 127.0.0.1:" + port + ": %s\" % err)\n"
                + "data = b\"\"\n"
                + "while not data.endswith(b\"\\n\"):\n"
                + "    chunk = c.recv(100)\n"
                + "    if not chunk:\n"
                + "        break\n"
                + "    data += chunk\n"
                + "print(data.decode().strip())\n";
    }
}
