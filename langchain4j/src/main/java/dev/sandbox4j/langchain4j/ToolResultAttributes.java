package dev.sandbox4j.langchain4j;

/**
 * The attribute keys of the {@code ToolExecutionResult}s that {@link SandboxToolProvider}'s tools return
 * (LangChain4j carries them into {@code ToolExecution.attributes()} and
 * {@code ToolExecutionResultMessage.attributes()}). Every value is a plain JSON type, so that a chat memory
 * store can keep it. A key is absent when it does not apply (a file tool has no exit code).
 */
public final class ToolResultAttributes {
    /** Integer: the command's exit code; {@code 128 + signal} when a signal ended it. */
    public static final String EXIT_CODE = "exitCode";
    /** Long: the command's wall-clock time in milliseconds. */
    public static final String DURATION_MILLIS = "durationMillis";
    /** Boolean: true when the command's timeout ended it. */
    public static final String TIMED_OUT = "timedOut";
    /** Integer: the signal that ended the command, when one did. */
    public static final String SIGNAL = "signal";
    /**
     * List of strings: the policy violations the sandbox reported while the command ran, each
     * {@code "rule: detail"} ({@code "limits.memory: a process was killed by the out-of-memory killer ..."}).
     * Present on a shell result when the provider made the sandbox with its own builder
     * ({@link SandboxToolProvider.Builder#sandboxes}), which is the default.
     */
    public static final String VIOLATIONS = "violations";
    /**
     * String, on a failed result only: what failed. {@code "exit"} (a non-zero exit code), {@code "timeout"},
     * {@code "killed"} (a signal: an OOM kill, a denied system call), {@code "sandbox-closed"} (the sandbox
     * was closed while the command ran), {@code "refused"} (the sandbox refused the call: a path outside
     * the workspace, a file too large), {@code "arguments"} (the model's arguments were malformed),
     * {@code "setup"} (no sandbox could be made: the application's configuration, logged), {@code "error"}.
     */
    public static final String FAILURE = "failure";

    private ToolResultAttributes() {
    }
}
