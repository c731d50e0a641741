package dev.sandbox4j.linux;

import dev.sandbox4j.Command;
import dev.sandbox4j.Sandbox;
import java.util.Optional;

/**
 * Run in a child JVM by {@link AutomaticReapTest}: builds, uses and closes one strict sandbox of the
 * backend named by the first argument, then waits for the JVM's automatic reap thread (when there is one)
 * to end and prints {@code auto-reap: started} or {@code auto-reap: not started}.
 */
public final class AutoReapMain {
    private AutoReapMain() {
    }

    public static void main(String[] args) throws Exception {
        try (Sandbox s = Sandbox.builder().backend(args[0]).policy(TestPolicies.strict()).build()) {
            if (s.exec(Command.of("true")).exitCode() != 0) {
                throw new IllegalStateException("true failed in the sandbox");
            }
        }
        Optional<Thread> reaper = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("sandbox4j-auto-reap")).findFirst();
        if (reaper.isPresent()) {
            reaper.get().join(180_000);
        }
        System.out.println("auto-reap: " + (dev.sandbox4j.Reaper.automaticReapStarted() ? "started" : "not started"));
        System.out.flush();
    }
}
