package dev.sandbox4j.benchmarks.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The idle-memory results ({@code memory.json}, written by {@code IdleMemory}). */
final class IdleMemoryResults {
    record Entry(String target, long pssKiB, long rssKiB, String processes, List<String> left, String error) {
    }

    private IdleMemoryResults() {
    }

    static List<Entry> read(Path file) throws IOException {
        List<Entry> out = new ArrayList<>();
        if (!Files.isRegularFile(file)) {
            return out;
        }
        for (JsonNode e : new ObjectMapper().readTree(file.toFile())) {
            List<String> procs = new ArrayList<>();
            for (JsonNode p : e.path("processes")) {
                procs.add(p.path("comm").asText() + " " + Table.num(p.path("pssKiB").asLong() / 1024.0));
            }
            List<String> left = new ArrayList<>();
            e.path("left").forEach(l -> left.add(l.asText()));
            out.add(new Entry(e.path("target").asText(), e.path("pssKiB").asLong(), e.path("rssKiB").asLong(),
                    procs.isEmpty() ? "none while idle" : String.join(", ", procs), left, e.path("error").asText()));
        }
        return out;
    }
}
