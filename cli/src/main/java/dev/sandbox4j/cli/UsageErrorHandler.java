package dev.sandbox4j.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * A bad flag or value: the message naming it, picocli's "did you mean" suggestions, a pointer to
 * {@code --help}, and exit status 2 (picocli's usage code). The whole help page is not repeated: the
 * error would scroll out of sight above it.
 */
final class UsageErrorHandler implements IParameterExceptionHandler {

    @Override
    public int handleParseException(ParameterException ex, String[] args) {
        CommandLine cmd = ex.getCommandLine();
        PrintWriter err = cmd.getErr();
        err.println("sandbox4j: " + ex.getMessage());
        UnmatchedArgumentException.printSuggestions(ex, err);
        String heading = "Usage: ";
        err.println(heading + cmd.getHelp().synopsis(heading.length()).strip());
        err.println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for more information.");
        err.flush();
        return cmd.getCommandSpec().exitCodeOnInvalidInput();
    }
}
