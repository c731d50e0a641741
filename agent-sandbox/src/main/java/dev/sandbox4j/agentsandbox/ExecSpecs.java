package dev.sandbox4j.agentsandbox;

/** What agent-sandbox's {@code ExecSpec} encodes by convention rather than by a field. */
final class ExecSpecs {
    /**
     * {@code ExecSpec.Builder.shellCommand(script)} stores the argv {@code [SHELL_MARKER, script]}; each
     * sandbox replaces the marker with its shell (agent-sandbox 0.9.1's LocalSandbox does the same).
     */
    static final String SHELL_MARKER = "__SHELL_COMMAND__";

    private ExecSpecs() {
    }
}
