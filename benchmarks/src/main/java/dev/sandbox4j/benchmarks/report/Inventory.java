package dev.sandbox4j.benchmarks.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What {@code BackendList} decided for this run ({@code backends.json}): each backend, variant and CLI
 * baseline, measured or skipped, with the policy it ran under and the reason.
 */
final class Inventory {
    record Entry(String name, String kind, String isolation, String status, String group, String policy,
                 String reason, String fix, long smokeMillis) {
    }

    private final List<Entry> entries;

    private Inventory(List<Entry> entries) {
        this.entries = List.copyOf(entries);
    }

    static Inventory read(Path file) throws IOException {
        List<Entry> out = new ArrayList<>();
        if (Files.isRegularFile(file)) {
            for (JsonNode e : new ObjectMapper().readTree(file.toFile())) {
                out.add(new Entry(e.path("name").asText(), e.path("kind").asText(), e.path("isolation").asText(),
                        e.path("status").asText(), e.path("group").asText(), e.path("policy").asText(),
                        e.path("reason").asText(), e.path("fix").asText(), e.path("smokeMillis").asLong(-1)));
            }
        }
        return new Inventory(out);
    }

    List<Entry> entries() {
        return entries;
    }

    List<Entry> skipped() {
        return entries.stream().filter(e -> e.status().equals("skipped")).toList();
    }

    Optional<Entry> get(String name) {
        return entries.stream().filter(e -> e.name().equals(name)).findFirst();
    }

    /** The policy a target ran under: a variant runs under its backend's. */
    String policyOf(String target) {
        String base = target.contains("[") ? target.substring(0, target.indexOf('[')) : target;
        if (base.equals("host")) {
            return "none (bare ProcessBuilder)";
        }
        return get(base).map(Entry::policy).filter(p -> !p.isEmpty()).orElse("?");
    }
}
