package dev.sandbox4j.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sandbox4j.BackendInfo;
import dev.sandbox4j.Sandbox;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sandbox4j doctor}: every backend on the class path with a fresh probe (at most 5 s old), and what
 * {@code auto} would choose for the strict policy. The text fits in 100 columns ({@link DoctorTable});
 * {@code --json} carries every text in full. Opens no sandbox.
 */
@Command(name = "doctor",
        description = "Shows every backend found, whether it can run here (and if not, why and the fix),"
                + " and what auto would choose for the strict policy.",
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:auto finds a backend for the strict policy", "1:no backend fits the strict policy here"})
final class DoctorCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final StdStreams io;

    @Option(names = "--json", description = "Print one JSON object: the backends and the auto choice.")
    private boolean json;

    DoctorCommand(StdStreams io) {
        this.io = io;
    }

    @Override
    public Integer call() {
        List<BackendInfo> backends = Sandbox.backends();
        AutoChoice auto = AutoChoice.forStrictPolicy();
        if (json) {
            printJson(backends, auto);
        } else {
            printTable(backends, io.out());
            io.out().println();
            auto.line().lines().flatMap(l -> DoctorTable.wrapIndented(l).stream()).forEach(io.out()::println);
        }
        io.out().flush();
        return auto.backend().isPresent() ? 0 : 1;
    }

    static void printTable(List<BackendInfo> backends, PrintStream out) {
        DoctorTable.lines(backends).forEach(out::println);
    }

    private void printJson(List<BackendInfo> backends, AutoChoice auto) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (BackendInfo b : backends) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("name", b.name());
            row.put("isolation", b.isolation().name());
            row.put("available", b.availability().available());
            row.put("reason", b.availability().reason());
            row.put("fix", b.availability().fix());
            row.put("emulated", b.availability().emulated());
            row.put("passedOverByAuto", DoctorTable.passedOver(b).orElse(null));
            row.put("capabilities", b.capabilities().stream().map(Enum::name).sorted().toList());
            rows.add(row);
        }
        Map<String, Object> choice = new LinkedHashMap<>();
        choice.put("policy", AutoChoice.POLICY);
        choice.put("backend", auto.backend().orElse(null));
        choice.put("reason", auto.backend().isPresent() ? null : auto.why());
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("backends", rows);
        report.put("auto", choice);
        try {
            io.out().println(JSON.writeValueAsString(report));
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException("writing the doctor --json report", e);
        }
    }
}
