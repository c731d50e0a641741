package dev.sandbox4j.linux;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** JVMs started on this test class path, for the tests of what a JVM leaves when it dies. */
final class ChildJvms {
    private ChildJvms() {
    }

    /** Starts {@code main} with {@code args} in a new JVM with {@code jvmOptions}; stderr goes to stdout. */
    static Process start(List<String> jvmOptions, Class<?> main, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true).start();
    }

    /** Reads the child's output up to its {@code ready ID} line and returns the ID (its sandbox's id). */
    static String awaitReady(Process jvm) throws IOException {
        BufferedReader out = new BufferedReader(new InputStreamReader(jvm.getInputStream(), StandardCharsets.UTF_8));
        String line;
        do {
            line = out.readLine();
            assertThat(line).as("the child JVM ended before its sandbox was ready").isNotNull();
        } while (!line.startsWith("ready "));
        return line.substring("ready ".length()).trim();
    }
}
