package dev.sandbox4j.container;

import dev.sandbox4j.Command;
import dev.sandbox4j.Sandbox;

/**
 * A second JVM for {@link GvisorRunscBackendTest}: opens a gvisor-runsc sandbox, runs a command, prints
 * {@code READY <session>} and dies at once with {@link Runtime#halt} (no shutdown hook runs, as when a JVM
 * is killed), leaving the sandbox to the reaper.
 */
public final class RunscChildJvm {
    private RunscChildJvm() {
    }

    public static void main(String[] args) {
        Sandbox s = Sandbox.builder().backend("gvisor-runsc").policy(GvisorRunscBackendTest.policy()).build();
        s.exec(Command.of("true"));
        System.out.println("READY " + dev.sandbox4j.spi.SessionLabels.current());
        System.out.flush();
        Runtime.getRuntime().halt(0);
    }
}
