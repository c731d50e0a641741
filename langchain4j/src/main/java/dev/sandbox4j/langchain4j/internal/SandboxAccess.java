package dev.sandbox4j.langchain4j.internal;

import dev.sandbox4j.Sandbox;
import java.util.function.Function;

/**
 * How a tool reaches its sandbox: a fixed open sandbox, or the sandbox of one conversation, made on first
 * use. Implementations are thread-safe.
 */
@FunctionalInterface
public interface SandboxAccess {

    /**
     * Runs {@code action} with the sandbox and returns its text.
     *
     * @throws dev.sandbox4j.SandboxException when there is no sandbox to use (it could not be made, or it
     *                                        was closed); the tools turn it into text for the model
     */
    String use(Function<Sandbox, String> action);

    /** Access to one open sandbox that someone else owns and closes. */
    static SandboxAccess of(Sandbox sandbox) {
        return action -> action.apply(sandbox);
    }
}
