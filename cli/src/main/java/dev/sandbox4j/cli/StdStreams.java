package dev.sandbox4j.cli;

import java.io.InputStream;
import java.io.PrintStream;

/**
 * The CLI's standard streams, passed in rather than read from {@link System} so that tests run the
 * commands in-process with captured output.
 *
 * @param in  forwarded to the sandboxed command's stdin by {@code run}
 * @param out the command's stdout, tables, JSON
 * @param err the command's stderr and every error message
 */
record StdStreams(InputStream in, PrintStream out, PrintStream err) {

    static StdStreams system() {
        return new StdStreams(System.in, System.out, System.err);
    }
}
