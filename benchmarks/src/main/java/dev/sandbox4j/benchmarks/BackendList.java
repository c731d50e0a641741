package dev.sandbox4j.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.sandbox4j.BackendInfo;
import dev.sandbox4j.Command;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.SandboxException;
import dev.sandbox4j.SandboxImage;
import dev.sandbox4j.benchmarks.support.BwrapCapture;
import dev.sandbox4j.benchmarks.support.DockerCli;
import dev.sandbox4j.benchmarks.support.Policies;
import dev.sandbox4j.benchmarks.support.Sandboxes;
import dev.sandbox4j.benchmarks.support.Target;
import dev.sandbox4j.spi.IsolationLevel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Decides what a benchmark run measures: every backend on the class path that is available here, accepts
 * the host image under its strongest policy, and passes a smoke test (open, {@code exec true}, close: which
 * also pays one-time costs such as building a base image or a VM snapshot before anything is timed),
 * minus those excluded by option; remote backends only when named. Writes every backend's fate with the
 * reason to a JSON file for the report, and prints for the run script:
 * <pre>
 * fast=none,bubblewrap,...      namespaces, containers, process-level backends
 * slow=gvisor,qemu,...          user-space kernels and VMs (a shorter profile, fewer syscalls)
 * cli=bwrap,bwrap-direct,docker-run,...      the engine CLI baselines installed here
 * </pre>
 * Usage: {@code BackendList [--only a,b] [--skip a,b] [--variant name[opt=v]]... --out FILE}.
 */
public final class BackendList {
    private BackendList() {
    }

    /** One backend or CLI baseline and what the run does with it. */
    record Entry(String name, String kind, String isolation, String status, String group, String policy,
                 String reason, String fix, long smokeMillis) {
    }

    public static void main(String[] args) throws IOException {
        Set<String> only = new LinkedHashSet<>();
        Set<String> skip = new LinkedHashSet<>();
        List<String> variants = new ArrayList<>();
        Path out = Path.of("benchmarks/results/backends.json");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--only" -> only.addAll(split(args[++i]));
                case "--skip" -> skip.addAll(split(args[++i]));
                case "--variant" -> variants.add(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("BackendList: unknown argument " + args[i]
                        + "; use --only a,b --skip a,b --variant 'name[option=value]' --out FILE");
            }
        }
        List<Entry> entries = new ArrayList<>();
        List<String> fast = new ArrayList<>();
        List<String> slow = new ArrayList<>();
        for (BackendInfo b : Sandbox.backends()) {
            Entry e = examine(b, only, skip);
            entries.add(e);
            String line = e.reason().length() > 300 ? e.reason().substring(0, 300) + " ..." : e.reason();
            System.err.printf("%-12s %-9s %s%n", b.name(), e.status(), line);
            if (e.status().equals("measured")) {
                (e.group().equals("slow") ? slow : fast).add(b.name());
            }
        }
        for (String v : variants) {
            Target t = Target.parse(v);
            String group = slow.contains(t.backend()) ? "slow" : "fast";
            Entry e;
            if (!fast.contains(t.backend()) && !slow.contains(t.backend())) {
                e = new Entry(t.label(), "variant", "", "skipped", "", "", "its backend " + t.backend()
                        + " is not measured in this run", "", -1);
            } else {
                long t0 = System.nanoTime();
                String failure = smoke(t);
                e = failure.isEmpty()
                        ? new Entry(t.label(), "variant", "", "measured", group, "", "variant of " + t.backend()
                                + " with options " + t.options(), "", (System.nanoTime() - t0) / 1_000_000)
                        : new Entry(t.label(), "variant", "", "skipped", "", "", failure, "", -1);
            }
            entries.add(e);
            System.err.printf("%-12s %-9s %s%n", t.label(), e.status(), e.reason());
            if (e.status().equals("measured")) {
                (group.equals("slow") ? slow : fast).add(t.label());
            }
        }
        List<String> cli = new ArrayList<>();
        boolean bwrapMeasured = fast.contains("bubblewrap") || slow.contains("bubblewrap");
        boolean dockerMeasured = fast.contains("docker") || slow.contains("docker");
        String bwrap = !bwrapMeasured ? "the bubblewrap backend is not measured in this run (this baseline replays its options)"
                : BwrapCapture.bwrapPath().isEmpty() ? "bwrap not on PATH" : "";
        String docker = !dockerMeasured ? "the docker backend is not measured in this run (this baseline is its comparison)"
                : DockerCli.unavailableReason().orElse("");
        entries.add(cliEntry("bwrap", bwrap, cli));
        entries.add(cliEntry("bwrap-direct", bwrap, cli));
        entries.add(cliEntry("docker-run", docker, cli));
        entries.add(cliEntry("docker-exec", docker, cli));
        Files.createDirectories(out.toAbsolutePath().getParent());
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.toFile(), entries);
        System.out.println("fast=" + String.join(",", fast));
        System.out.println("slow=" + String.join(",", slow));
        System.out.println("cli=" + String.join(",", cli));
        // backend sessions may leave non-daemon threads (engine clients): the script waits for this JVM
        System.exit(0);
    }

    private static Entry examine(BackendInfo b, Set<String> only, Set<String> skip) {
        String iso = b.isolation().name();
        String policy = Policies.describe(b.capabilities());
        if (!only.isEmpty() && !only.contains(b.name())) {
            return skipped(b, policy, "not in --only " + String.join(",", only), "");
        }
        if (skip.contains(b.name())) {
            return skipped(b, policy, "excluded by --skip", "");
        }
        if (b.isolation() == IsolationLevel.REMOTE && !only.contains(b.name())) {
            return skipped(b, policy, "remote backend (costs money, needs configuration): name it with --only", "");
        }
        if (!b.availability().available()) {
            return skipped(b, policy, "probe: " + b.availability().reason(), b.availability().fix());
        }
        Target target = Target.parse(b.name());
        try {
            Sandbox.choose(b.name(), Sandboxes.policy(target), SandboxImage.host());
        } catch (SandboxException e) {
            return skipped(b, policy, "refuses the host image under " + policy + ": " + e.getMessage(), "");
        }
        long t0 = System.nanoTime();
        String failure = smoke(target);
        if (!failure.isEmpty()) {
            return skipped(b, policy, failure, "");
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        boolean slowLevel = b.isolation() == IsolationLevel.VIRTUAL_MACHINE || b.isolation() == IsolationLevel.USER_KERNEL
                || b.isolation() == IsolationLevel.REMOTE;
        return new Entry(b.name(), "backend", iso, "measured", slowLevel ? "slow" : "fast", policy,
                b.availability().reason(), "", ms);
    }

    /** Opens, runs true, closes: empty when that worked, else why not. */
    private static String smoke(Target target) {
        try (Sandbox s = Sandboxes.open(target)) {
            Sandboxes.execOk(s, Command.of("true"));
            return "";
        } catch (RuntimeException e) {
            String m = "smoke test (open, exec true, close) failed: " + e.getMessage();
            return m.length() > 2000 ? m.substring(0, 2000) + " ..." : m;
        }
    }

    private static Entry skipped(BackendInfo b, String policy, String reason, String fix) {
        // an engine's error can carry a whole seccomp profile: keep what a reader needs
        String r = reason.length() > 2000 ? reason.substring(0, 2000) + " ..." : reason;
        return new Entry(b.name(), "backend", b.isolation().name(), "skipped", "", policy, r, fix, -1);
    }

    private static Entry cliEntry(String name, String unavailable, List<String> cli) {
        if (unavailable.isEmpty()) {
            cli.add(name);
            return new Entry(name, "cli", "", "measured", "fast", "", "", "", -1);
        }
        return new Entry(name, "cli", "", "skipped", "", "", unavailable, "", -1);
    }

    private static List<String> split(String csv) {
        List<String> out = new ArrayList<>();
        for (String s : csv.split(",")) {
            if (!s.isBlank()) {
                out.add(s.strip());
            }
        }
        return out;
    }
}
