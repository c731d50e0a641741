package dev.sandbox4j.langchain4j.internal;

import dev.sandbox4j.Sandbox;
import java.util.function.Function;

/**
 * How a tool reaches its sandbox: a fixed open sandbox, a fresh one per use, or the sandbox of one
 * conversation, made on first use. Implementations are thread-safe.
 */
public interface SandboxAccess {

    /**
     * Runs {@code action} with the sandbox and returns what it returns.
     *
     * @throws SandboxSetupException          when the sandbox could not be made (logged already)
     * @throws dev.sandbox4j.SandboxException when there is no sandbox to use (it was closed); the tools turn
     *                                        both into text for the model
     */
    <T> T use(Function<Sandbox, T> action);

    /** How the result texts name the sandbox ("the sandbox", "the conversation's sandbox"). */
    default String name() {
        return "the sandbox";
    }

    /** Access to one open sandbox that someone else owns and closes. */
    static SandboxAccess of(Sandbox sandbox) {
        return new SandboxAccess() {
            @Override
            public <T> T use(Function<Sandbox, T> action) {
                return action.apply(sandbox);
            }
        };
    }
}
