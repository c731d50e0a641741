package dev.sandbox4j;

/**
 * Receives a streamed command's output as it arrives, on a thread of the library's; one call at a time
 * per stream. A listener that throws stops receiving that stream; the command goes on.
 */
@FunctionalInterface
public interface OutputListener {
    /** Which output stream a chunk came from. */
    enum Stream { STDOUT, STDERR }

    /** @param chunk a fresh array owned by the listener */
    void onOutput(Stream stream, byte[] chunk);
}
