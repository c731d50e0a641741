package dev.sandbox4j.cli;

import dev.sandbox4j.BackendInfo;
import dev.sandbox4j.Sandbox;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code sandbox4j backends}: the name of every backend on the class path, one a line, strongest first. */
@Command(name = "backends", description = "Lists the backends found, one name a line (available or not; see doctor).")
final class BackendsCommand implements Callable<Integer> {
    private final StdStreams io;

    BackendsCommand(StdStreams io) {
        this.io = io;
    }

    @Override
    public Integer call() {
        for (BackendInfo b : Sandbox.backends()) {
            io.out().println(b.name());
        }
        io.out().flush();
        return 0;
    }
}
