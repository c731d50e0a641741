package dev.sandbox4j.cli;

import dev.sandbox4j.Reaper;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code sandbox4j reap}: removes what sandboxes of JVMs that are gone left behind; never touches a live one's. */
@Command(name = "reap", description = "Removes the leftovers of sandboxes whose JVM died (containers, cgroups,"
        + " VM processes, temp dirs) and prints one line per thing removed.")
final class ReapCommand implements Callable<Integer> {
    private final StdStreams io;

    ReapCommand(StdStreams io) {
        this.io = io;
    }

    @Override
    public Integer call() {
        List<String> removed = Reaper.reapLeftovers();
        if (removed.isEmpty()) {
            io.out().println("nothing to reap");
        }
        removed.forEach(io.out()::println);
        io.out().flush();
        return 0;
    }
}
