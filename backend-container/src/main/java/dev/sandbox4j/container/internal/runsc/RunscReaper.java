package dev.sandbox4j.container.internal.runsc;

import dev.sandbox4j.container.internal.agent.ExecAgent;
import dev.sandbox4j.spi.SessionLabels;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Removes what daemonless gVisor sandboxes of dead JVMs left: every sandbox has one directory
 * {@code <tmp>/sandbox4j-runsc-<session>--<sandboxId>} (bundle, runsc state, init log) and cgroups of the
 * same name. For a directory whose session's JVM is gone: {@code runsc delete --force} of every
 * container its state lists, then a kill of any process still running with that state directory (the
 * sandbox and its file proxy), then the cgroups and the directory. Cgroups of a dead session without a
 * directory are removed too. Never touches a live session's resources. Stateless.
 */
final class RunscReaper {
    static final String PREFIX = SessionLabels.NAME_PREFIX + "runsc-";
    private static final List<String> CGROUP_ROOTS = List.of("/sys/fs/cgroup/memory", "/sys/fs/cgroup/cpu",
            "/sys/fs/cgroup/cpu,cpuacct", "/sys/fs/cgroup/cpuacct", "/sys/fs/cgroup/pids", "/sys/fs/cgroup/cpuset",
            "/sys/fs/cgroup/devices", "/sys/fs/cgroup/freezer", "/sys/fs/cgroup/blkio", "/sys/fs/cgroup/net_cls,net_prio",
            "/sys/fs/cgroup/net_cls", "/sys/fs/cgroup/net_prio", "/sys/fs/cgroup/perf_event", "/sys/fs/cgroup/hugetlb",
            "/sys/fs/cgroup/systemd", "/sys/fs/cgroup/unified", "/sys/fs/cgroup/rdma", "/sys/fs/cgroup/misc", "/sys/fs/cgroup");

    private RunscReaper() {
    }

    static Path tmp() {
        return Path.of(System.getProperty("java.io.tmpdir"));
    }

    static List<String> reap(Optional<Runsc> runsc) {
        List<String> removed = new ArrayList<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(tmp(), PREFIX + "*")) {
            for (Path d : dirs) {
                Optional<String> session = SessionLabels.sessionOf(d.getFileName().toString());
                if (session.isEmpty() || SessionLabels.ownerAlive(session.get())) {
                    continue;
                }
                Path state = d.resolve("state");
                if (runsc.isPresent() && Files.isDirectory(state)) {
                    try {
                        Runsc.Result list = runsc.get().run(state, Runsc.CALL_TIMEOUT, "list", "--quiet");
                        for (String id : list.output().split("\n")) {
                            if (id.matches("[A-Za-z0-9_.-]+")) {
                                runsc.get().run(state, Runsc.CALL_TIMEOUT, "delete", "--force", id);
                                removed.add("runsc container " + id + " (session " + session.get() + ")");
                            }
                        }
                    } catch (IOException e) {
                        // runsc cannot run: the processes are killed below
                    }
                }
                killProcessesOf(state);
                removeCgroups("/" + d.getFileName());
                ExecAgent.deleteDir(d);
                removed.add("runsc sandbox dir " + d + " (session " + session.get() + ")");
            }
        } catch (IOException e) {
            // no temp dir to look at
        }
        for (String root : CGROUP_ROOTS) {
            try (DirectoryStream<Path> groups = Files.newDirectoryStream(Path.of(root), PREFIX + "*")) {
                for (Path g : groups) {
                    Optional<String> session = SessionLabels.sessionOf(g.getFileName().toString());
                    if (session.isPresent() && !SessionLabels.ownerAlive(session.get()) && removeCgroup(g)) {
                        removed.add("cgroup " + g + " (session " + session.get() + ")");
                    }
                }
            } catch (IOException | RuntimeException e) {
                // no such controller here
            }
        }
        return removed;
    }

    /** Kills every process whose command line names {@code state} (runsc's sandbox and file proxy of it). */
    static void killProcessesOf(Path state) {
        String needle = state.toString();
        ProcessHandle.allProcesses().forEach(h -> {
            try {
                byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(h.pid()), "cmdline"));
                String cmd = new String(raw, StandardCharsets.UTF_8).replace('\0', ' ');
                if (cmd.contains("--root") && (cmd.contains(needle + " ") || cmd.endsWith(needle))) {
                    h.destroyForcibly();
                }
            } catch (IOException | RuntimeException e) {
                // gone, or not ours to read
            }
        });
    }

    /** Removes the cgroup {@code path} (e.g. {@code /sandbox4j-runsc-...}) under every controller, processes first. */
    static void removeCgroups(String path) {
        for (String root : CGROUP_ROOTS) {
            Path g = Path.of(root + path);
            if (Files.isDirectory(g, LinkOption.NOFOLLOW_LINKS)) {
                removeCgroup(g);
            }
        }
    }

    private static boolean removeCgroup(Path g) {
        for (int attempt = 0; attempt < 50; attempt++) {
            try {
                for (String pid : Files.readAllLines(g.resolve("cgroup.procs"))) {
                    if (pid.matches("\\d+")) {
                        ProcessHandle.of(Long.parseLong(pid)).ifPresent(ProcessHandle::destroyForcibly);
                    }
                }
            } catch (IOException | RuntimeException e) {
                // no procs file: nothing to kill
            }
            try {
                Files.delete(g);
                return true;
            } catch (IOException e) {
                if (!Files.exists(g)) {
                    return true;
                }
                try {
                    Thread.sleep(20);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
        return false;
    }
}
