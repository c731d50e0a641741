package dev.sandbox4j.benchmarks.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * The performance targets the issues set, checked against this run's medians. Each ratio divides two
 * numbers measured in the same run. A target whose inputs were not measured says so, with the reason
 * the backend or baseline was skipped.
 */
final class TargetChecks {
    /** One line of the targets table. */
    record Check(String what, String measured, String target, String verdict) {
    }

    private final JmhResults jmh;
    private final Inventory inventory;
    private final Syscalls syscalls;

    TargetChecks(JmhResults jmh, Inventory inventory, Syscalls syscalls) {
        this.jmh = jmh;
        this.inventory = inventory;
        this.syscalls = syscalls;
    }

    List<Check> all() {
        List<Check> out = new ArrayList<>();
        out.add(ratio("bubblewrap one-shot (build + exec true + close) ÷ bare ProcessBuilder spawn of /bin/true (issue 3)",
                median("Startup", "backend", "bubblewrap"), median("Startup", "backend", "host"), 4.0, true,
                "bubblewrap", "host"));
        out.add(ratio("bwrap CLI with the backend's own options ÷ bare ProcessBuilder spawn (issue 3: \"about 3x\"; for reference)",
                median("CliBaseline", "cli", "bwrap"), median("Startup", "backend", "host"), Double.NaN, true,
                "bwrap", "host"));
        out.add(ratio("bwrap floor: the same bwrap, options and command spawned directly, no seccomp, no launcher, no"
                        + " cgroups ÷ bare ProcessBuilder spawn (issue 3; what any bwrap-based one-shot costs at least)",
                median("CliBaseline", "cli", "bwrap-direct"), median("Startup", "backend", "host"), Double.NaN, true,
                "bwrap-direct", "host"));
        out.add(syscalls());
        out.add(ratio("docker sandbox start (build + exec true + close) ÷ `docker run --rm IMAGE true` (issue 4)",
                median("Startup", "backend", "docker"), median("CliBaseline", "cli", "docker-run"), 1.0, true,
                "docker", "docker-run"));
        out.add(ratio("docker exec of true in an open sandbox ÷ `docker exec CONTAINER true` (issue 4)",
                median("ExecLatency", "backend", "docker"), median("CliBaseline", "cli", "docker-exec"), 0.5, true,
                "docker", "docker-exec"));
        out.add(absolute("microvm from its snapshot: build() until the guest agent is ready to exec (close not timed),"
                        + " median (issue 6: ready to exec in ≤ 300 ms)",
                median("ReadyToExec", "backend", "microvm"), 300, "microvm"));
        out.add(reference("microvm from its snapshot: build + the first exec of true (close not timed), median (issue 6,"
                        + " the stricter reading: ready and the first command run; for reference)",
                median("TimeToReady", "backend", "microvm"), "microvm"));
        out.add(coldWarm());
        out.add(absolute("microvm exec of true in an open VM, median (issue 6: ≤ 15 ms under TCG)",
                median("ExecLatency", "backend", "microvm"), 15, "microvm"));
        return out;
    }

    private OptionalDouble median(String benchmark, String param, String value) {
        return jmh.find(benchmark, param, value).map(r -> OptionalDouble.of(r.median())).orElse(OptionalDouble.empty());
    }

    private Check ratio(String what, OptionalDouble num, OptionalDouble den, double bound, boolean atMost, String... inputs) {
        if (num.isEmpty() || den.isEmpty()) {
            return new Check(what, missing(inputs), bound(bound, atMost), "not measured");
        }
        double r = num.getAsDouble() / den.getAsDouble();
        String measured = Table.ratio(r) + " (" + Table.num(num.getAsDouble()) + " ms ÷ " + Table.num(den.getAsDouble()) + " ms)";
        return new Check(what, measured, bound(bound, atMost), verdict(r, bound, atMost));
    }

    /** An absolute time with no bound of its own. */
    private Check reference(String what, OptionalDouble ms, String input) {
        if (ms.isEmpty()) {
            return new Check(what, missing(input), "—", "not measured");
        }
        return new Check(what, Table.num(ms.getAsDouble()) + " ms", "—", "—");
    }

    private Check absolute(String what, OptionalDouble ms, double boundMs, String input) {
        if (ms.isEmpty()) {
            return new Check(what, missing(input), "≤ " + Table.num(boundMs) + " ms", "not measured");
        }
        return new Check(what, Table.num(ms.getAsDouble()) + " ms", "≤ " + Table.num(boundMs) + " ms",
                verdict(ms.getAsDouble(), boundMs, true));
    }

    /** dd's own clock per syscall under bubblewrap's default seccomp profile ÷ the host's, same byte count. */
    private Check syscalls() {
        String what = "`dd bs=1` per syscall under bubblewrap (default seccomp profile) ÷ native, dd's own clock (issue 3)";
        Optional<JmhRow> bw = jmh.find("SyscallOverhead", "backend", "bubblewrap");
        Optional<JmhRow> host = bw.flatMap(b -> jmh.find("SyscallOverhead", "backend", "host", b.param("count")));
        if (bw.isEmpty() || host.isEmpty()) {
            return new Check(what, missing("bubblewrap"), "≤ 1.25x", "not measured");
        }
        Optional<Syscalls.DdFigure> a = syscalls.dd(bw.get());
        Optional<Syscalls.DdFigure> paired = syscalls.pairedHost(bw.get());
        OptionalDouble pairedRatio = syscalls.pairedRatio(bw.get());
        double wall = bw.get().mean() / host.get().mean();
        if (a.isEmpty()) {
            return new Check(what, "dd printed no time; wall-time ratio " + Table.ratio(wall), "≤ 1.25x", "not measured");
        }
        if (pairedRatio.isPresent() && paired.isPresent()) {
            double r = pairedRatio.getAsDouble();
            return new Check(what, Table.ratio(r) + " (median of " + a.get().runs() + " run-by-run ratios, each sandbox run"
                    + " against the host run just before it; medians " + Table.num(a.get().nanosPerSyscall()) + " ns vs "
                    + Table.num(paired.get().nanosPerSyscall()) + " ns per syscall, N=" + bw.get().param("count") + ")",
                    "≤ 1.25x", verdict(r, 1.25, true));
        }
        Optional<Syscalls.DdFigure> b = syscalls.dd(host.get());
        if (b.isEmpty()) {
            return new Check(what, "the host's dd printed no time; wall-time ratio " + Table.ratio(wall), "≤ 1.25x", "not measured");
        }
        double r = a.get().nanosPerSyscall() / b.get().nanosPerSyscall();
        return new Check(what, Table.ratio(r) + " (" + Table.num(a.get().nanosPerSyscall()) + " ns ÷ "
                + Table.num(b.get().nanosPerSyscall()) + " ns per syscall, host measured in its own trial, N="
                + bw.get().param("count") + ")", "≤ 1.25x", verdict(r, 1.25, true));
    }

    /** The cold-boot variant of microvm (any {@code microvm[...]} target) ÷ the snapshot restore. */
    private Check coldWarm() {
        String what = "microvm cold boot ÷ snapshot restore, build + exec true medians (issue 6: restore ≥ 4x faster)";
        Optional<JmhRow> cold = jmh.of("TimeToReady").stream().filter(r -> r.param("backend").startsWith("microvm[")).findFirst();
        OptionalDouble warm = median("TimeToReady", "backend", "microvm");
        if (cold.isEmpty() || warm.isEmpty()) {
            return new Check(what, cold.isEmpty() ? "no cold-boot variant in this run (run.sh --variant 'microvm[...]')"
                    : missing("microvm"), "≥ 4x", "not measured");
        }
        double r = cold.get().median() / warm.getAsDouble();
        return new Check(what, Table.ratio(r) + " (" + cold.get().param("backend") + " " + Table.num(cold.get().median())
                + " ms ÷ " + Table.num(warm.getAsDouble()) + " ms)", "≥ 4x", verdict(r, 4, false));
    }

    private String missing(String... inputs) {
        List<String> why = new ArrayList<>();
        for (String in : inputs) {
            inventory.get(in).filter(e -> e.status().equals("skipped"))
                    .ifPresent(e -> why.add(in + " skipped: " + Table.shorten(e.reason(), 160)));
        }
        return why.isEmpty() ? "not in this run" : String.join("; ", why);
    }

    private static String bound(double bound, boolean atMost) {
        return Double.isNaN(bound) ? "—" : (atMost ? "≤ " : "≥ ") + Table.ratio(bound);
    }

    private static String verdict(double value, double bound, boolean atMost) {
        if (Double.isNaN(bound)) {
            return "—";
        }
        return (atMost ? value <= bound : value >= bound) ? "met" : "**missed**";
    }
}
