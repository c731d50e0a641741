package dev.sandbox4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

/**
 * An exception no command expected (a bug, in the library or here): the stack trace on stderr and exit
 * 125, so that it is never mistaken for the sandboxed command's own status 1.
 */
final class InternalErrorHandler implements IExecutionExceptionHandler {

    @Override
    public int handleExecutionException(Exception ex, CommandLine cmd, ParseResult parseResult) {
        cmd.getErr().println("sandbox4j: internal error in '" + cmd.getCommandSpec().qualifiedName() + "': " + ex
                + "; please report it with the stack trace below");
        ex.printStackTrace(cmd.getErr());
        cmd.getErr().flush();
        return RunCommand.SANDBOX_FAILED;
    }
}
