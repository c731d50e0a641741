package dev.sandbox4j.vm.internal.session;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * x86_64 system-call numbers by name, for the filter the guest agent installs. A name this architecture
 * does not have is skipped (as {@code SyscallPolicy} specifies). Thread-safe: immutable.
 */
public final class SyscallTable {
    private static final Map<String, Integer> NUMBERS = load();

    private SyscallTable() {
    }

    /** The numbers of the names x86_64 knows, sorted. */
    public static List<Integer> numbers(Set<String> names) {
        return names.stream().map(NUMBERS::get).filter(Objects::nonNull).sorted().distinct().toList();
    }

    public static Map<String, Integer> all() {
        return NUMBERS;
    }

    private static Map<String, Integer> load() {
        Map<String, Integer> m = new HashMap<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(
                Objects.requireNonNull(SyscallTable.class.getResourceAsStream("syscalls-x86_64.txt"), "syscalls-x86_64.txt"),
                StandardCharsets.US_ASCII))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] f = line.trim().split("\\s+");
                m.put(f[0], Integer.parseInt(f[1]));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the x86_64 system-call table from the jar", e);
        }
        return Collections.unmodifiableMap(m);
    }
}
