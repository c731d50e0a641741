package dev.sandbox4j.langchain4j.internal;

import dev.sandbox4j.Sandbox;
import dev.sandbox4j.SandboxException;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One conversation's sandbox: made on first use, closed when the conversation ends or has been idle long
 * enough. Counts the tool calls running in it so that the idle sweeper never closes a sandbox under a
 * running call. Thread-safe; the monitor guards every field, and no sandbox is closed while it is held.
 */
final class Conversation {
    private static final Logger LOG = LoggerFactory.getLogger("dev.sandbox4j.langchain4j");

    private final Object memoryId;
    private final Function<Object, Sandbox> factory;
    private final LongSupplier nanoClock;
    private final SetupFailures failures;
    private Sandbox sandbox;
    private int active;
    private boolean closed;
    private long lastUsed;

    Conversation(Object memoryId, Function<Object, Sandbox> factory, LongSupplier nanoClock, SetupFailures failures) {
        this.memoryId = memoryId;
        this.factory = factory;
        this.nanoClock = nanoClock;
        this.failures = failures;
        this.lastUsed = nanoClock.getAsLong();
    }

    /** Marks a call as running; false when this conversation was closed (the caller makes a new one). */
    synchronized boolean enter() {
        if (closed) {
            return false;
        }
        active++;
        lastUsed = nanoClock.getAsLong();
        return true;
    }

    synchronized void exit() {
        active--;
        lastUsed = nanoClock.getAsLong();
    }

    /**
     * The sandbox, made now on first use. The lock is held while the factory builds it, so two first calls
     * of one conversation make one sandbox; other conversations are not held up.
     *
     * @throws SandboxSetupException when the factory fails (logged)
     * @throws SandboxException      when this conversation was closed meanwhile
     */
    synchronized Sandbox sandbox() {
        if (closed) {
            throw new SandboxException("the sandbox of conversation '" + memoryId + "' was closed while this call"
                    + " was starting; call again to start a new one");
        }
        if (sandbox == null) {
            Sandbox made;
            try {
                made = factory.apply(memoryId);
                if (made == null) {
                    throw new SandboxException("the sandbox factory returned null for conversation '" + memoryId
                            + "'; it must return an open Sandbox or throw");
                }
            } catch (RuntimeException e) {
                throw failures.report("the sandbox of conversation '" + memoryId + "'", e);
            }
            sandbox = made;
        }
        return sandbox;
    }

    /** The sandbox when it was made and is still open. */
    synchronized Optional<Sandbox> openSandbox() {
        return closed ? Optional.empty() : Optional.ofNullable(sandbox);
    }

    /** Closes the sandbox when no call runs in it and it was last used {@code idleNanos} ago or earlier. */
    boolean closeIfIdle(long idleNanos) {
        Sandbox toClose;
        synchronized (this) {
            if (closed || active > 0 || nanoClock.getAsLong() - lastUsed < idleNanos) {
                return false;
            }
            closed = true;
            toClose = sandbox;
            sandbox = null;
        }
        closeQuietly(toClose);
        return true;
    }

    /** Closes the sandbox now; a call running in it sees its command killed. Idempotent. */
    void close() {
        Sandbox toClose;
        synchronized (this) {
            closed = true;
            toClose = sandbox;
            sandbox = null;
        }
        closeQuietly(toClose);
    }

    private void closeQuietly(Sandbox s) {
        if (s == null) {
            return;
        }
        try {
            s.close();
        } catch (RuntimeException e) {
            // Sandbox.close() must not throw; if one does, the other conversations must still be closed
            LOG.warn("closing the sandbox " + s.id() + " of conversation '" + memoryId
                    + "' failed", e);
        }
    }
}
