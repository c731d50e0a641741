package dev.sandbox4j;

import java.time.Instant;
import java.util.List;

/**
 * An audit event. Every event names the sandbox it is about and when it happened.
 */
public sealed interface SandboxEvent {
    String sandboxId();

    Instant at();

    /** The sandbox was made. */
    record Created(String sandboxId, Instant at, String backend, IsolationPolicy policy) implements SandboxEvent {
    }

    /** A command started; {@code execId} ties it to its {@link ExecFinished}. */
    record ExecStarted(String sandboxId, Instant at, long execId, List<String> argv) implements SandboxEvent {
    }

    /** A command ended; {@code result} carries the output too. */
    record ExecFinished(String sandboxId, Instant at, long execId, ExecResult result) implements SandboxEvent {
    }

    /** The backend saw the policy being broken (a denied syscall, the memory limit hit, the pids limit hit...). */
    record PolicyViolation(String sandboxId, Instant at, String rule, String detail) implements SandboxEvent {
    }

    /** A backend reports progress of a slow step (an image pull, a snapshot build). */
    record Progress(String sandboxId, Instant at, String step, String detail) implements SandboxEvent {
    }

    /** The sandbox was closed and everything of it removed. */
    record Closed(String sandboxId, Instant at) implements SandboxEvent {
    }
}
