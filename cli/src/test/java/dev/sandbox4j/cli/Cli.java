package dev.sandbox4j.cli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** Runs the CLI in-process, as {@code Main} does, with given stdin and captured stdout and stderr. */
final class Cli {
    private Cli() {
    }

    /** What one invocation gave. */
    record Outcome(int status, String out, String err) {
    }

    static Outcome run(String... args) {
        return runWithStdin(new ByteArrayInputStream(new byte[0]), args);
    }

    static Outcome runWithStdin(InputStream stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
             PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            int status = SandboxCli.commandLine(new StdStreams(stdin, o, e)).execute(args);
            return new Outcome(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        }
    }
}
