package dev.sandbox4j.cli;

/**
 * Entry point of {@code sandbox4j.jar}: {@code java -jar sandbox4j.jar run -- echo hi}. Exits with the
 * status of the command that ran (see {@code sandbox4j run --help} for the codes of its own failures).
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        int status = SandboxCli.commandLine(StdStreams.system()).execute(args);
        System.out.flush();
        System.err.flush();
        // the stdin forwarder may still block on the terminal; it is a daemon, exit does not wait for it
        System.exit(status);
    }
}
