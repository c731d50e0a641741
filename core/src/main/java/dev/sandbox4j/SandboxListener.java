package dev.sandbox4j;

/**
 * Receives a sandbox's audit events, on the thread that caused them. A listener that throws is logged
 * (through {@link System.Logger}) and otherwise ignored: it never breaks the sandbox. Must be thread-safe
 * when the sandbox is used from several threads.
 */
@FunctionalInterface
public interface SandboxListener {
    void onEvent(SandboxEvent event);
}
