package dev.sandbox4j.linux.internal.rlimit;

import dev.sandbox4j.ResourceLimits;
import dev.sandbox4j.SandboxStartException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * The rlimit part of a policy as plain data, and its checks.
 *
 * <p>A limit is always set soft = hard (the sandbox cannot raise it back). Without CAP_SYS_RESOURCE
 * (unprivileged users, and root in many containers, this host included) a process can only lower a hard
 * limit, so a requested limit above the launching JVM's current hard limit cannot be enforced:
 * {@link #checkEnforceable} refuses it before anything runs instead of silently leaving the higher host
 * limit in place.
 *
 * <p>The launcher applies the plan on its side, before the engine starts, with util-linux
 * {@code prlimit --fsize=N:N --nofile=N:N -- engine ...} ({@link #prlimitArgs}); rlimits survive fork and
 * exec, so the sandboxed command inherits them without needing prlimit in its image.
 *
 * <p>{@link Resource#NPROC} counts every process of the real uid, host-wide for the sandbox's user; it is a
 * pids fallback only for launchers that run the command as a uid of its own (chroot). {@link Resource#AS}
 * caps one process's address space, which is not the policy's memory limit (all processes together, RSS):
 * it is listed for completeness and never produced by {@link #plan}. Thread-safe (stateless).
 */
public final class Rlimits {

    /** The rlimits used here, with their RLIMIT_* number and prlimit option. */
    public enum Resource {
        FSIZE(1, "fsize", "Max file size", "limits.fileSize"),
        NPROC(6, "nproc", "Max processes", "limits.pids"),
        NOFILE(7, "nofile", "Max open files", "limits.openFiles"),
        AS(9, "as", "Max address space", "limits.memory");

        private final int number;
        private final String option;
        private final String procName;
        private final String policyPart;

        Resource(int number, String option, String procName, String policyPart) {
            this.number = number;
            this.option = option;
            this.procName = procName;
            this.policyPart = policyPart;
        }

        /** RLIMIT_* from sys/resource.h. */
        public int number() {
            return number;
        }

        public String policyPart() {
            return policyPart;
        }
    }

    /**
     * One limit, soft and hard alike.
     *
     * @param resource which
     * @param value    bytes for FSIZE and AS, a count for NOFILE and NPROC
     */
    public record Limit(Resource resource, long value) {
        /** {@code --nofile=256:256}. */
        public String prlimitArg() {
            return "--" + resource.option + "=" + value + ":" + value;
        }

        @Override
        public String toString() {
            return "RLIMIT_" + resource.name() + "=" + value;
        }
    }

    private Rlimits() {
    }

    /** FSIZE from {@code fileSize}, NOFILE from {@code openFiles}; NPROC from {@code pids} when asked. */
    public static List<Limit> plan(ResourceLimits limits, boolean pidsAsNproc) {
        List<Limit> out = new ArrayList<>();
        limits.fileSize().ifPresent(f -> out.add(new Limit(Resource.FSIZE, f.bytes())));
        limits.openFiles().ifPresent(n -> out.add(new Limit(Resource.NOFILE, n)));
        if (pidsAsNproc) {
            limits.pids().ifPresent(n -> out.add(new Limit(Resource.NPROC, n)));
        }
        return out;
    }

    /** {@link #plan(ResourceLimits, boolean)} without NPROC. */
    public static List<Limit> plan(ResourceLimits limits) {
        return plan(limits, false);
    }

    /** The prlimit options for {@code plan}, in order. */
    public static List<String> prlimitArgs(List<Limit> plan) {
        return plan.stream().map(Limit::prlimitArg).toList();
    }

    /**
     * Refuses a limit this process could not set because it is above the current hard limit and the
     * process lacks CAP_SYS_RESOURCE.
     *
     * @throws SandboxStartException naming the policy part, the value, the hard limit and the way out
     */
    public static void checkEnforceable(List<Limit> plan) {
        if (plan.isEmpty() || hasCapSysResource()) {
            return;
        }
        Map<String, Long> hard = hardLimits();
        for (Limit l : plan) {
            Long h = hard.get(l.resource().procName);
            if (h != null && l.value() > h) {
                throw new SandboxStartException("cannot enforce " + l.resource().policyPart() + "=" + l.value()
                        + ": it is above this JVM's hard limit RLIMIT_" + l.resource().name() + "=" + h
                        + " and the JVM lacks CAP_SYS_RESOURCE, so the limit can only be lowered. Ask for at most "
                        + h + ", or raise the JVM's hard limit before starting it (ulimit -H, limits.conf).");
            }
        }
    }

    /** The current hard limits of this process by /proc/self/limits row name; absent: unlimited or unknown. */
    static Map<String, Long> hardLimits() {
        try {
            return parseHard(Files.readAllLines(Path.of("/proc/self/limits")));
        } catch (IOException e) {
            return Map.of();
        }
    }

    static Map<String, Long> parseHard(List<String> lines) {
        Map<String, Long> out = new java.util.HashMap<>();
        for (Resource r : Resource.values()) {
            for (String line : lines) {
                if (line.startsWith(r.procName + " ")) {
                    String[] f = line.substring(r.procName.length()).trim().split("\\s+");
                    parse(f.length > 1 ? f[1] : "").ifPresent(v -> out.put(r.procName, v));
                }
            }
        }
        return out;
    }

    private static OptionalLong parse(String s) {
        try {
            return OptionalLong.of(Long.parseLong(s));
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    /** Bit 24 of CapEff in /proc/self/status. */
    static boolean hasCapSysResource() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("CapEff:")) {
                    return (Long.parseUnsignedLong(line.substring(7).trim(), 16) & (1L << 24)) != 0;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return false;
        }
        return false;
    }
}
