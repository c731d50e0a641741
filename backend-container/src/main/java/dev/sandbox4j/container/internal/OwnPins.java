package dev.sandbox4j.container.internal;

import dev.sandbox4j.spi.PinnedPath;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The host paths a sandbox of this module binds in besides the core's (the host image's system
 * directories, the static init, the exec agent's control directory, generated files): each pinned once
 * with {@link PinnedPath#pin} when the sandbox is made, handed to the engine or the OCI bundle only as
 * {@link PinnedPath#engineSource}, and released when the sandbox closes. Thread-safe.
 */
public final class OwnPins implements AutoCloseable {
    private final List<PinnedPath> pins = new ArrayList<>();
    private boolean closed;

    /**
     * Pins {@code path} and returns the path an engine may resolve for it.
     *
     * @param what names the path in messages ("host image directory")
     * @throws dev.sandbox4j.InvalidInputException when it is missing or has a symbolic link in it
     */
    public synchronized String source(Path path, String what, boolean readOnly) {
        if (closed) {
            throw new IllegalStateException("the sandbox's own host paths were released; " + path + " cannot be pinned");
        }
        PinnedPath pin = PinnedPath.pin(path, what);
        pins.add(pin);
        return pin.engineSource(readOnly).toString();
    }

    /** Releases every pin. Idempotent; never throws. */
    @Override
    public synchronized void close() {
        closed = true;
        for (PinnedPath p : pins) {
            p.close();
        }
        pins.clear();
    }
}
