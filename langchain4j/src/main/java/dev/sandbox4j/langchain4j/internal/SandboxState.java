package dev.sandbox4j.langchain4j.internal;

import dev.sandbox4j.FileAccessException;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.SandboxException;

/** What a tool can tell of a sandbox's state from outside. Stateless. */
public final class SandboxState {
    private SandboxState() {
    }

    /**
     * True when {@code sandbox} is closed. The core's {@code close()} marks a sandbox closed before it kills
     * the commands still running, so a command killed by a close sees this true when its result arrives.
     * Asked only after a command was killed: it lists the workspace, which a closed sandbox refuses.
     */
    public static boolean isClosed(Sandbox sandbox) {
        try {
            sandbox.files().list(sandbox.workspacePath());
            return false;
        } catch (FileAccessException e) {
            // the core's files API names a closed sandbox in these words ("sandbox <id> is closed")
            return e.getMessage() != null && e.getMessage().contains(" is closed");
        } catch (SandboxException e) {
            return false;
        }
    }
}
