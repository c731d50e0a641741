package dev.sandbox4j.vm;

import dev.sandbox4j.Command;
import dev.sandbox4j.Sandbox;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A JVM that opens a microvm sandbox and dies without closing it (Runtime.halt: no shutdown hooks), for
 * {@link MicrovmLifecycleTest}. Writes the sandbox id to args[0] once the sandbox answers.
 */
public final class CrashingJvm {
    private CrashingJvm() {
    }

    public static void main(String[] args) throws Exception {
        Sandbox s = Sandbox.builder().backend("microvm").build();
        s.exec(Command.of("true"));
        Files.writeString(Path.of(args[0] + ".tmp"), s.id());
        Files.move(Path.of(args[0] + ".tmp"), Path.of(args[0]));
        Thread.sleep(500);
        Runtime.getRuntime().halt(137);
    }
}
