package dev.sandbox4j.internal.none;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Kills a host process tree: the root, its descendants, and on Linux every process of the session the
 * root leads (the none backend starts each command through {@code setsid}), which also catches
 * background children whose parent already exited and that were re-parented to init.
 *
 * <p>A tree may be forking while we kill it, so we snapshot and SIGKILL repeatedly until nothing is
 * left or {@link #KILL_PATIENCE} passed. What escapes: a process that called {@code setsid()} itself
 * and whose parent is gone (a classic daemon's double fork). The none backend does not claim
 * {@code CONTAIN_DAEMONS}.
 *
 * <p>Guard against pid reuse: a session member must have started no earlier than the root, and the
 * session is skipped when its id now belongs to a live process that is not our root. Linux does not
 * hand out a pid that is still some live process's session id, so members found are ours.
 */
final class ProcessTree {
    static final java.time.Duration KILL_PATIENCE = java.time.Duration.ofSeconds(1);

    private final ProcessHandle root;
    /** The root's session id when it leads its own session, else 0. */
    private final long sid;
    /** The root's start time in clock ticks, or -1 when it was gone before we could read it. */
    private final long rootStart;
    /** Clock ticks since boot just before the root was spawned (-1 unknown): nothing of ours is older. */
    private final long notBefore;

    /**
     * @param notBeforeTicks {@link ProcTable#nowTicks()} taken just before the root was started; it
     *                       stands in for the root's start time when a fast root exited before we read it
     */
    ProcessTree(ProcessHandle root, boolean ownSession, long notBeforeTicks) {
        this.root = root;
        this.sid = ownSession ? root.pid() : 0;
        this.notBefore = notBeforeTicks;
        this.rootStart = ProcTable.read(root.pid()).map(ProcTable.Entry::startTicks).orElse(-1L);
    }

    /** Kills the tree; returns when none of it is left alive or after {@link #KILL_PATIENCE}. Never throws. */
    void kill() {
        killAll(List.of(this));
    }

    /** Kills several trees with one /proc snapshot per round. Never throws. */
    static void killAll(Collection<ProcessTree> trees) {
        long deadline = System.nanoTime() + KILL_PATIENCE.toNanos();
        while (true) {
            List<ProcTable.Entry> snapshot = ProcTable.available() ? ProcTable.snapshot() : null;
            Map<Long, Long> victims = new HashMap<>();
            for (ProcessTree t : trees) {
                victims.putAll(t.members(snapshot));
            }
            if (victims.isEmpty()) {
                return;
            }
            // roots first: a root that outlives its children by a moment could still exit 0 (sh's wait)
            // and the timed-out command would not report its kill; orphans are found again by session
            for (ProcessTree t : trees) {
                Long ticks = victims.remove(t.root.pid());
                if (ticks != null) {
                    killOne(t.root.pid(), ticks);
                }
            }
            victims.forEach(ProcessTree::killOne);
            if (System.nanoTime() > deadline) {
                return;
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static void killOne(long pid, long ticks) {
        // re-check the start time right before the kill: the pid may have been reused meanwhile
        if (ticks < 0 || ProcTable.read(pid).map(e -> e.startTicks() == ticks).orElse(false)) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    /** True when some process of the tree still runs (zombies do not count). */
    boolean anyAlive() {
        return !members().isEmpty();
    }

    /** The tree's live (not zombie) processes now: pid to start ticks (-1 where /proc is missing). */
    Map<Long, Long> members() {
        return members(ProcTable.available() ? ProcTable.snapshot() : null);
    }

    /** {@link #members()} against a snapshot (null: no /proc, use the JDK's view of descendants). */
    Map<Long, Long> members(List<ProcTable.Entry> all) {
        if (all == null) {
            Map<Long, Long> out = new HashMap<>();
            if (root.isAlive()) {
                out.put(root.pid(), -1L);
            }
            root.descendants().filter(ProcessHandle::isAlive).forEach(h -> out.put(h.pid(), -1L));
            return out;
        }
        Map<Long, List<ProcTable.Entry>> children = new HashMap<>();
        ProcTable.Entry leader = null;
        for (ProcTable.Entry e : all) {
            children.computeIfAbsent(e.ppid(), k -> new ArrayList<>()).add(e);
            if (e.pid() == root.pid()) {
                leader = e;
            }
        }
        long oldest = rootStart >= 0 ? rootStart : notBefore;
        boolean rootIsOurs = leader != null
                && (rootStart >= 0 ? leader.startTicks() == rootStart : notBefore >= 0 && leader.startTicks() >= notBefore);
        Set<Long> found = new HashSet<>();
        if (rootIsOurs) {
            addTree(leader, children, found);
        }
        if (sid > 0 && oldest >= 0 && (leader == null || rootIsOurs)) {
            for (ProcTable.Entry e : all) {
                if (e.sid() == sid && e.startTicks() >= oldest) {
                    addTree(e, children, found);
                }
            }
        }
        Map<Long, Long> live = new HashMap<>();
        for (ProcTable.Entry e : all) {
            if (found.contains(e.pid()) && !e.zombie()) {
                live.put(e.pid(), e.startTicks());
            }
        }
        return live;
    }

    private static void addTree(ProcTable.Entry e, Map<Long, List<ProcTable.Entry>> children, Set<Long> found) {
        List<ProcTable.Entry> todo = new ArrayList<>(List.of(e));
        while (!todo.isEmpty()) {
            ProcTable.Entry x = todo.remove(todo.size() - 1);
            if (found.add(x.pid())) {
                todo.addAll(children.getOrDefault(x.pid(), List.of()));
            }
        }
    }
}
