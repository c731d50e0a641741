package dev.sandbox4j.cli;

import dev.sandbox4j.DataSize;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.NetworkPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * {@code run}'s flags that adjust the policy; each one given replaces that part of the preset or file.
 * The core validates the values (a relative sandbox path, pids below 1) when the policy is built.
 */
final class PolicyFlags {

    @Option(names = "--network", paramLabel = "MODE",
            description = "none (no network), loopback (a private 127.0.0.1) or host.")
    NetworkPolicy.Mode network;

    @Option(names = "--memory", paramLabel = "SIZE", description = "Memory limit of the sandbox, e.g. 512m, 1g.")
    DataSize memory;

    @Option(names = "--cpus", paramLabel = "N", description = "CPU time as a number of CPUs, e.g. 0.5, 2.")
    Double cpus;

    @Option(names = "--pids", paramLabel = "N", description = "Most processes and threads alive at once.")
    Integer pids;

    @Option(names = "--timeout", paramLabel = "DURATION",
            description = "Wall-clock timeout of the command, e.g. 500ms, 10s, 2m; the whole process tree is"
                    + " killed and the exit status is 124.")
    Duration timeout;

    @Option(names = "--max-output", paramLabel = "SIZE",
            description = "Cap per output stream; beyond it output is dropped (the JSON says truncated).")
    DataSize maxOutput;

    @Option(names = "--disk", paramLabel = "SIZE|none",
            description = "What the sandbox may store on the host, its workspace, /tmp and writable mounts together,"
                    + " e.g. 1g; none removes the limit (needed with --workspace or --rw, which it cannot bound).")
    String disk;

    @Option(names = "--ro", paramLabel = "HOST[:SANDBOX]",
            description = "Mount a host path read-only (at the same path when :SANDBOX is left out). Repeatable.")
    List<MountArg> readOnly = new ArrayList<>();

    @Option(names = "--rw", paramLabel = "HOST[:SANDBOX]",
            description = "Mount a host path read-write (at the same path when :SANDBOX is left out). Repeatable.")
    List<MountArg> readWrite = new ArrayList<>();

    /**
     * {@code base} with every given flag applied.
     *
     * @throws dev.sandbox4j.InvalidInputException a value the policy refuses, named by the core
     */
    IsolationPolicy applyTo(IsolationPolicy base) {
        IsolationPolicy.Builder b = base.toBuilder();
        if (network != null) {
            b.network(new NetworkPolicy(network));
        }
        b.limits(l -> {
            if (memory != null) {
                l.memory(memory);
            }
            if (cpus != null) {
                l.cpus(cpus);
            }
            if (pids != null) {
                l.pids(pids);
            }
            if (timeout != null) {
                l.wallTime(timeout);
            }
            if (maxOutput != null) {
                l.maxOutput(maxOutput);
            }
            if (disk != null) {
                if (disk.equals("none")) {
                    l.noDiskLimit();
                } else {
                    l.disk(DataSize.parse(disk));
                }
            }
            return l;
        });
        if (!readOnly.isEmpty() || !readWrite.isEmpty()) {
            // a mount makes the view private (FilesystemPolicy.Builder), so permissive + --ro asks for isolation
            b.filesystem(fs -> {
                readOnly.forEach(m -> fs.readOnly(m.host(), m.sandbox()));
                readWrite.forEach(m -> fs.readWrite(m.host(), m.sandbox()));
                return fs;
            });
        }
        return b.build();
    }
}
