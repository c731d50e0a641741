package dev.sandbox4j.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.sandbox4j.Command;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.benchmarks.support.Policies;
import dev.sandbox4j.benchmarks.support.ProcTable;
import dev.sandbox4j.benchmarks.support.ProcTable.Key;
import dev.sandbox4j.benchmarks.support.ProcTable.Proc;
import dev.sandbox4j.benchmarks.support.Sandboxes;
import dev.sandbox4j.benchmarks.support.Target;
import dev.sandbox4j.spi.SessionLabels;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The host memory one open, idle sandbox costs, per backend (not a JMH timing). For each target: snapshot
 * the process table, open a sandbox and run {@code true} in it (so it is ready), let it settle, snapshot
 * again. The sandbox's processes are the new ones that descend from this JVM, or whose command line names
 * the sandbox (its id, or the id of a container labelled with it: that finds engine-side processes such as
 * containerd-shim, conmon, runsc, qemu, virtiofsd), plus all of their new descendants. Their Pss and Rss
 * from {@code /proc/PID/smaps_rollup} are summed. Not counted: the long-lived daemons' own growth
 * (dockerd, containerd) and this JVM's heap. After close() it checks that none of those processes is left (3 s later).
 * Usage: {@code IdleMemory --out FILE target...}.
 */
public final class IdleMemory {
    private static final long SETTLE_MILLIS = 2000;
    /** How long after close() a sandbox's processes may take to go (engines stop containers asynchronously). */
    private static final long LEFT_CHECK_MILLIS = 3000;

    /** One process of a sandbox. */
    record Member(long pid, String comm, long rssKiB, long pssKiB) {
    }

    /** One target's result; {@code error} non-empty when it could not be measured. */
    record Result(String target, String policy, long pssKiB, long rssKiB, List<Member> processes,
                  int leftAfterClose, List<String> left, String error) {
    }

    private IdleMemory() {
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        Path out = null;
        List<String> targets = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--out")) {
                out = Path.of(args[++i]);
            } else {
                targets.add(args[i]);
            }
        }
        if (out == null) {
            throw new IllegalArgumentException("IdleMemory: give --out FILE and the targets (backend names)");
        }
        List<Result> results = new ArrayList<>();
        for (String t : targets) {
            Result r = measure(Target.parse(t));
            System.err.printf("%-24s %8d KiB Pss %8d KiB Rss  %d processes, %d left after close %s%n", t, r.pssKiB(),
                    r.rssKiB(), r.processes().size(), r.leftAfterClose(), r.error());
            r.left().forEach(l -> System.err.println("    left: " + l));
            results.add(r);
        }
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.toFile(), results);
        System.exit(0);
    }

    static Result measure(Target target) throws InterruptedException {
        String policy = Policies.describe(Sandboxes.backend(target.backend()).capabilities());
        Map<Key, Proc> before = ProcTable.snapshot();
        List<Member> members = new ArrayList<>();
        Set<Key> keys = new LinkedHashSet<>();
        try (Sandbox sandbox = Sandboxes.open(target)) {
            Sandboxes.execOk(sandbox, Command.of("true"));
            Thread.sleep(SETTLE_MILLIS);
            Map<Key, Proc> after = ProcTable.snapshot();
            List<String> names = new ArrayList<>(List.of(sandbox.id()));
            names.addAll(containersOf(sandbox.id()));
            for (Proc p : sandboxProcesses(before, after, names)) {
                ProcTable.memory(p.pid()).ifPresent(m -> {
                    members.add(new Member(p.pid(), p.comm(), m.rssKiB(), m.pssKiB()));
                    keys.add(p.key());
                });
            }
        } catch (RuntimeException e) {
            return new Result(target.label(), policy, 0, 0, List.of(), 0, List.of(), "could not measure: " + e.getMessage());
        }
        Thread.sleep(LEFT_CHECK_MILLIS);
        List<String> left = new ArrayList<>();
        Map<Key, Proc> now = ProcTable.snapshot();
        for (Key k : keys) {
            Proc p = now.get(k);
            if (p != null) {
                String cmd = p.cmdline().length() > 160 ? p.cmdline().substring(0, 160) + " ..." : p.cmdline();
                left.add(p.comm() + " (pid " + p.pid() + "): " + cmd);
            }
        }
        return new Result(target.label(), policy, members.stream().mapToLong(Member::pssKiB).sum(),
                members.stream().mapToLong(Member::rssKiB).sum(), members, left.size(), left, "");
    }

    static List<Proc> sandboxProcesses(Map<Key, Proc> before, Map<Key, Proc> after, List<String> names) {
        long self = ProcessHandle.current().pid();
        Map<Long, Proc> fresh = new java.util.HashMap<>();
        after.values().stream().filter(p -> !before.containsKey(p.key())).forEach(p -> fresh.put(p.pid(), p));
        List<Proc> out = new ArrayList<>();
        for (Proc p : fresh.values()) {
            if (belongs(p, fresh, after, self, names)) {
                out.add(p);
            }
        }
        out.sort(java.util.Comparator.comparingLong(Proc::pid));
        return out;
    }

    /** Walks up the parents: a child of this JVM, or of a new process that names the sandbox, belongs. */
    private static boolean belongs(Proc p, Map<Long, Proc> fresh, Map<Key, Proc> all, long self, List<String> names) {
        Proc cur = p;
        for (int hops = 0; hops < 64 && cur != null; hops++) {
            if (cur.ppid() == self || fresh.containsKey(cur.pid()) && names.stream().anyMatch(cur.cmdline()::contains)) {
                return true;
            }
            cur = fresh.get(cur.ppid());
        }
        return false;
    }

    /** Ids of containers labelled with this sandbox, from the docker and podman CLIs where installed. */
    private static List<String> containersOf(String sandboxId) {
        List<String> ids = new ArrayList<>();
        for (String cli : List.of("docker", "podman")) {
            try {
                Process p = new ProcessBuilder(cli, "ps", "-q", "--no-trunc", "--filter",
                        "label=" + SessionLabels.SANDBOX_KEY + "=" + sandboxId).redirectError(ProcessBuilder.Redirect.DISCARD).start();
                String outText = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0) {
                    outText.lines().map(String::strip).filter(s -> !s.isEmpty()).forEach(ids::add);
                }
            } catch (IOException e) {
                // that CLI is not installed: its engine made nothing here
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return ids;
    }
}
