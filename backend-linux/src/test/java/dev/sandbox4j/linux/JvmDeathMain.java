package dev.sandbox4j.linux;

import dev.sandbox4j.Command;
import dev.sandbox4j.Sandbox;

/**
 * Run in a child JVM by {@link BubblewrapJvmDeathTest}: opens a strict sandbox of the backend named by the
 * second argument, starts a marked
 * {@code sleep}, prints the sandbox id and waits to be killed (never closing the sandbox).
 */
public final class JvmDeathMain {
    private JvmDeathMain() {
    }

    public static void main(String[] args) throws Exception {
        Sandbox s = Sandbox.builder().backend(args[1]).policy(TestPolicies.strict()).build();
        s.start(Command.of("sleep", "300").env("SANDBOX4J_MARK", args[0]).timeout(java.time.Duration.ofMinutes(5)));
        System.out.println("ready " + s.id());
        System.out.flush();
        Thread.sleep(300_000);
    }
}
