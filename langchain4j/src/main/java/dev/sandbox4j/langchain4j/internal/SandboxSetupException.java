package dev.sandbox4j.langchain4j.internal;

import dev.sandbox4j.SandboxException;

/**
 * A sandbox the application configured could not be made: a problem of the application's setup (an
 * unknown backend, a policy the backend cannot enforce, no backend available), not of the model's call.
 * Its message is the short text for the model; the full diagnostic is its cause, which
 * {@link SetupFailures} has logged.
 */
public final class SandboxSetupException extends SandboxException {
    private static final long serialVersionUID = 1L;

    SandboxSetupException(String message, RuntimeException cause) {
        super(message, cause);
    }
}
