package dev.sandbox4j.linux.internal.rootfs;

import dev.sandbox4j.ExecException;
import dev.sandbox4j.SandboxStartException;
import dev.sandbox4j.linux.internal.cgroup.CgroupSandbox;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * One exec's own cgroup, a child of its sandbox's membership cgroup: where a chroot or nspawn exec has no
 * pid namespace of its own that dies with it (chroot), or whose container outlives a killed engine
 * (nspawn keeps its payload running when it gets SIGKILL), this is what finds every process the exec
 * started, double-forked daemons included, so that a timeout kills exactly that exec's tree.
 *
 * <p>The child lives in the sandbox cgroup that can kill ({@code cgroup.kill}, else {@code cgroup.freeze}
 * of cgroup v2, else the v1 freezer), so the sandbox's own kill and removal cover it; the exec's first
 * process joins the sandbox's limit cgroups (memory, pids, cpu) as before, and this child instead of the
 * kill cgroup itself. Thread-safe.
 */
public final class ExecCgroup {
    private static final long KILL_DEADLINE_MILLIS = 10_000;

    private final Path dir;
    private final List<Path> procsFiles;

    private ExecCgroup(Path dir, List<Path> procsFiles) {
        this.dir = dir;
        this.procsFiles = List.copyOf(procsFiles);
    }

    /** The sandbox's cgroup directory that can kill a subtree: its v2 directory, else its v1 freezer. */
    public static Optional<Path> killDirectory(CgroupSandbox sandbox) {
        Optional<Path> v2 = sandbox.directories().stream()
                .filter(d -> Files.exists(d.resolve("cgroup.kill")) || Files.exists(d.resolve("cgroup.freeze"))).findFirst();
        return v2.isPresent() ? v2
                : sandbox.directories().stream().filter(d -> Files.exists(d.resolve("freezer.state"))).findFirst();
    }

    /**
     * Makes {@code <kill dir>/exec-<n>}.
     *
     * @throws ExecException when it cannot be made
     */
    public static ExecCgroup create(CgroupSandbox sandbox, long execNumber) {
        Path parent = killDirectory(sandbox).orElseThrow(() -> new SandboxStartException(
                "cgroups " + sandbox.directories() + " have no cgroup.kill, cgroup.freeze or freezer.state"));
        Path dir = parent.resolve("exec-" + execNumber);
        try {
            Files.createDirectory(dir);
        } catch (IOException e) {
            throw new ExecException("creating the exec's cgroup " + dir + " failed: " + e, e);
        }
        List<Path> procs = new ArrayList<>();
        for (Path f : sandbox.procsFiles()) {
            if (!f.getParent().equals(parent)) {
                procs.add(f);
            }
        }
        procs.add(dir.resolve("cgroup.procs"));
        return new ExecCgroup(dir, procs);
    }

    public Path directory() {
        return dir;
    }

    /** The cgroup.procs files the exec's first process writes its pid into, before it execs anything. */
    public List<Path> procsFiles() {
        return procsFiles;
    }

    /** The pids in this cgroup and below. */
    public List<Long> members() {
        List<Long> pids = new ArrayList<>();
        for (Path d : tree()) {
            try {
                for (String l : Files.readAllLines(d.resolve("cgroup.procs"), StandardCharsets.US_ASCII)) {
                    if (!l.isBlank()) {
                        pids.add(Long.parseLong(l.trim()));
                    }
                }
            } catch (IOException | NumberFormatException gone) {
                // removed meanwhile
            }
        }
        return pids;
    }

    /** Kills every process of the exec and waits (bounded) until none is left. Never throws. */
    public void kill() {
        long deadline = System.currentTimeMillis() + KILL_DEADLINE_MILLIS;
        while (!members().isEmpty() && System.currentTimeMillis() < deadline) {
            if (Files.exists(dir.resolve("cgroup.kill"))) {
                write(dir.resolve("cgroup.kill"), "1");
            } else if (Files.exists(dir.resolve("cgroup.freeze"))) {
                write(dir.resolve("cgroup.freeze"), "1");
                members().forEach(ExecCgroup::sigkill);
                write(dir.resolve("cgroup.freeze"), "0");
            } else if (Files.exists(dir.resolve("freezer.state"))) {
                write(dir.resolve("freezer.state"), "FROZEN");
                members().forEach(ExecCgroup::sigkill);
                write(dir.resolve("freezer.state"), "THAWED");
            } else {
                members().forEach(ExecCgroup::sigkill);
            }
            pause();
        }
    }

    /** Removes the directory (and what an engine made below it) when no process is left; true when gone. */
    public boolean removeIfEmpty() {
        if (!members().isEmpty()) {
            return false;
        }
        for (Path d : tree()) {
            try {
                Files.deleteIfExists(d);
            } catch (IOException e) {
                return false;
            }
        }
        return !Files.exists(dir);
    }

    /** This directory and its subdirectories, deepest first. */
    private List<Path> tree() {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isDirectory).sorted(Comparator.comparingInt(Path::getNameCount).reversed()).toList();
        } catch (IOException | java.io.UncheckedIOException e) {
            return List.of(dir);
        }
    }

    private static void write(Path file, String value) {
        try {
            Files.writeString(file, value, StandardCharsets.US_ASCII);
        } catch (IOException ignored) {
            // the cgroup is gone or the kernel refused; the loop re-checks the members
        }
    }

    private static void sigkill(long pid) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }

    private static void pause() {
        try {
            Thread.sleep(20);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "exec cgroup " + dir;
    }
}
