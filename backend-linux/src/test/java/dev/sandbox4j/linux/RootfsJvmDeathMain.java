package dev.sandbox4j.linux;

import dev.sandbox4j.Command;
import dev.sandbox4j.Sandbox;
import java.time.Duration;

/**
 * Run in a child JVM by the chroot and nspawn JVM-death tests: opens a sandbox of the backend named by
 * args[0] with that test's policy, starts a marked {@code sleep} and a marked daemon, prints the sandbox id
 * and waits to be killed (never closing the sandbox).
 */
public final class RootfsJvmDeathMain {
    private RootfsJvmDeathMain() {
    }

    public static void main(String[] args) throws Exception {
        String backend = args[0];
        Sandbox s = Sandbox.builder().backend(backend)
                .policy(backend.equals("chroot") ? ChrootEscapeTest.policy() : NspawnEscapeTest.policy()).build();
        s.start(Command.of("sleep", "300").env("SANDBOX4J_MARK", args[1]).timeout(Duration.ofMinutes(5)));
        System.out.println("ready " + s.id());
        System.out.flush();
        Thread.sleep(300_000);
    }
}
