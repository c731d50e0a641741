package dev.sandbox4j.benchmarks.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Where and how the numbers were made: the machine (cores, CPU, memory, kernel, distribution, Java), the
 * load when the run started and when it was rendered, the date, and the command and JMH profiles the
 * run script used (passed in, as the script knows them).
 */
record RunInfo(String date, String command, String profiles, int cores, String cpu, String memory, String kernel,
               String os, String java, String loadAtStart, String loadAtEnd) {

    static RunInfo collect(String date, String command, String profiles, String loadAtStart) {
        return new RunInfo(date, command, profiles, Runtime.getRuntime().availableProcessors(),
                cpuinfo("model name").orElse("unknown CPU"), memTotal(), read("/proc/sys/kernel/osrelease").strip(),
                osRelease(), System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"),
                loadAtStart, load());
    }

    static String load() {
        String[] f = read("/proc/loadavg").split("\\s+");
        return f.length >= 3 ? f[0] + " " + f[1] + " " + f[2] : "unknown";
    }

    private static java.util.Optional<String> cpuinfo(String key) {
        return read("/proc/cpuinfo").lines().filter(l -> l.startsWith(key)).findFirst()
                .map(l -> l.substring(l.indexOf(':') + 1).strip());
    }

    private static String memTotal() {
        return read("/proc/meminfo").lines().filter(l -> l.startsWith("MemTotal:")).findFirst()
                .map(l -> String.format(Locale.ROOT, "%.1f GiB", Long.parseLong(l.replaceAll("[^0-9]", "")) / 1048576.0))
                .orElse("unknown");
    }

    private static String osRelease() {
        return read("/etc/os-release").lines().filter(l -> l.startsWith("PRETTY_NAME=")).findFirst()
                .map(l -> l.substring("PRETTY_NAME=".length()).replace("\"", "")).orElse("unknown OS");
    }

    private static String read(String path) {
        try {
            return Files.readString(Path.of(path), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }
}
