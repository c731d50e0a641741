package dev.sandbox4j.container.internal.session;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Kills the process tree of a command in a runc container from the host, with no process of its own
 * inside: a container's processes are host processes, which a root JVM (or one of the container's uid)
 * may signal, and this works when nothing more can start inside (a fork bomb at the pids limit, a memory
 * hog at the memory limit), in a few milliseconds instead of an engine exec.
 *
 * <p>The tree is what {@link ExecScripts#KILL_SCRIPT} takes, in the container's own pid numbers (the
 * {@code NSpid}, {@code NSpgid} and {@code NSsid} lines of {@code /proc/<pid>/status}): the root, and every
 * process whose session, process group or parent is in the set, grown until it stops growing; each new
 * member is stopped (SIGSTOP) as it is found, so that none can fork out of the set between the scan and the
 * kill; then all get SIGKILL. The container's processes are the host's that share its init's pid namespace.
 *
 * <p>Only for a container whose processes are host processes: {@link #of} checks that the container's main
 * pid runs this module's init at {@link dev.sandbox4j.container.internal.plan.ContainerPlanner#INIT_PATH} as
 * pid 1 of its own pid namespace; under gVisor the engine's pid is the sandbox's kernel, whose tasks are no
 * host processes, and {@link #of} is empty. An unprivileged JVM signals only processes of its own uid: a
 * refused signal makes the kill {@link Outcome#UNAVAILABLE}, and the session kills from inside instead.
 * Stateless; thread-safe.
 */
final class HostKill {
    private static final int SIGKILL = 9;
    private static final int SIGSTOP = 19;
    private static final int SIGCONT = 18;
    /** Rounds of the growing scan; a tree still growing after that many is killed as it stands. */
    private static final int MAX_ROUNDS = 200;

    private interface C extends Library {
        int kill(int pid, int sig) throws LastErrorException;
    }

    private static volatile C lib;

    private HostKill() {
    }

    /**
     * The pid namespace of a container, as the host sees it.
     *
     * @param initPid the host pid of the container's init
     * @param link    {@code readlink /proc/<initPid>/ns/pid}, e.g. {@code pid:[4026532712]}
     */
    record Namespace(long initPid, String link) {
    }

    /** How a kill went. */
    enum Outcome {
        /** The tree was killed (or was gone already). */
        KILLED,
        /** This JVM cannot see or signal the container's processes: use another way. */
        UNAVAILABLE
    }

    /**
     * The namespace of the container whose main process has host pid {@code initPid}, when that is a host
     * process running the init at {@code initPath} inside and this JVM may read its namespace; else empty.
     */
    static Optional<Namespace> of(long initPid, String initPath) {
        if (initPid <= 0) {
            return Optional.empty();
        }
        try {
            Path proc = Path.of("/proc", Long.toString(initPid));
            if (!Files.readSymbolicLink(proc.resolve("exe")).toString().equals(initPath)) {
                return Optional.empty();
            }
            List<Long> nspid = field(Files.readString(proc.resolve("status"), StandardCharsets.US_ASCII), "NSpid:");
            if (nspid.size() < 2 || nspid.get(nspid.size() - 1) != 1) {
                return Optional.empty();
            }
            return Optional.of(new Namespace(initPid, Files.readSymbolicLink(proc.resolve("ns/pid")).toString()));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** One process of the container: host pid and parent, and its pid, group and session inside. */
    private record Proc(long host, long hostParent, long pid, long pgid, long sid) {
    }

    /**
     * Kills the tree rooted at {@code pid} (a pid inside the container of {@code ns}); see the class
     * comment. Never throws.
     */
    static Outcome killTree(Namespace ns, long pid) {
        C c = lib();
        if (c == null) {
            return Outcome.UNAVAILABLE;
        }
        Set<Long> set = new HashSet<>();
        set.add(pid);
        Map<Long, Long> stopped = new HashMap<>();
        try {
            for (int round = 0; round < MAX_ROUNDS; round++) {
                List<Proc> procs = processes(ns);
                if (procs == null) {
                    return stopped.isEmpty() ? Outcome.UNAVAILABLE : finish(c, stopped);
                }
                Map<Long, Long> inner = new HashMap<>();
                procs.forEach(p -> inner.put(p.host(), p.pid()));
                List<Proc> found = new ArrayList<>();
                for (Proc p : procs) {
                    if (p.pid() == 1 || stopped.containsKey(p.pid())) {
                        continue;
                    }
                    Long parent = inner.get(p.hostParent());
                    if (set.contains(p.pid()) || set.contains(p.pgid()) || set.contains(p.sid())
                            || (parent != null && set.contains(parent))) {
                        found.add(p);
                    }
                }
                if (found.isEmpty()) {
                    break;
                }
                for (Proc p : found) {
                    if (!signal(c, p.host(), SIGSTOP)) {
                        return stopped.isEmpty() ? Outcome.UNAVAILABLE : finish(c, stopped);
                    }
                    stopped.put(p.pid(), p.host());
                    set.add(p.pid());
                }
            }
            return finish(c, stopped);
        } catch (RuntimeException e) {
            return stopped.isEmpty() ? Outcome.UNAVAILABLE : finish(c, stopped);
        }
    }

    private static Outcome finish(C c, Map<Long, Long> stopped) {
        for (long host : stopped.values()) {
            signal(c, host, SIGKILL);
        }
        for (long host : stopped.values()) {
            signal(c, host, SIGCONT);
        }
        return Outcome.KILLED;
    }

    /** False when the signal was refused (EPERM); a process gone meanwhile (ESRCH) counts as signalled. */
    private static boolean signal(C c, long host, int sig) {
        try {
            c.kill((int) host, sig);
            return true;
        } catch (LastErrorException e) {
            return e.getErrorCode() != 1;
        }
    }

    /** The container's processes now, or null when /proc cannot be read. */
    private static List<Proc> processes(Namespace ns) {
        List<Proc> out = new ArrayList<>();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(Path.of("/proc"))) {
            for (Path d : dir) {
                String name = d.getFileName().toString();
                if (name.isEmpty() || !Character.isDigit(name.charAt(0))) {
                    continue;
                }
                try {
                    if (!Files.readSymbolicLink(d.resolve("ns/pid")).toString().equals(ns.link())) {
                        continue;
                    }
                    String status = Files.readString(d.resolve("status"), StandardCharsets.US_ASCII);
                    List<Long> pid = field(status, "NSpid:");
                    List<Long> pgid = field(status, "NSpgid:");
                    List<Long> sid = field(status, "NSsid:");
                    List<Long> ppid = field(status, "PPid:");
                    if (pid.isEmpty() || pgid.isEmpty() || sid.isEmpty() || ppid.isEmpty()) {
                        continue;
                    }
                    out.add(new Proc(Long.parseLong(name), ppid.get(0), pid.get(pid.size() - 1), pgid.get(pgid.size() - 1),
                            sid.get(sid.size() - 1)));
                } catch (IOException | RuntimeException gone) {
                    // ended meanwhile, or not ours to read: not one of the container's we can signal
                }
            }
        } catch (IOException e) {
            return null;
        }
        return out;
    }

    /** The numbers on the line starting with {@code key} of a status file; empty when there is none. */
    static List<Long> field(String status, String key) {
        int at = status.startsWith(key) ? 0 : status.indexOf("\n" + key);
        if (at < 0) {
            return List.of();
        }
        int start = at + (at == 0 ? 0 : 1) + key.length();
        int end = status.indexOf('\n', start);
        List<Long> out = new ArrayList<>();
        for (String f : status.substring(start, end < 0 ? status.length() : end).trim().split("\\s+")) {
            if (!f.isEmpty()) {
                out.add(Long.parseLong(f));
            }
        }
        return out;
    }

    private static C lib() {
        C c = lib;
        if (c == null) {
            try {
                c = Native.load("c", C.class);
                lib = c;
            } catch (LinkageError e) {
                return null;
            }
        }
        return c;
    }
}
