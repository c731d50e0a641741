package dev.sandbox4j.agentsandbox;

import dev.sandbox4j.Command;
import dev.sandbox4j.ExecException;
import dev.sandbox4j.InvalidInputException;
import dev.sandbox4j.SandboxBuilder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import org.springaicommunity.sandbox.ExecResult;
import org.springaicommunity.sandbox.ExecSpec;
import org.springaicommunity.sandbox.ExecSpecCustomizer;
import org.springaicommunity.sandbox.Sandbox;
import org.springaicommunity.sandbox.SandboxException;
import org.springaicommunity.sandbox.SandboxFiles;
import org.springaicommunity.sandbox.TimeoutException;

/**
 * spring-ai-community's agent-sandbox {@link Sandbox} over a sandbox4j {@link dev.sandbox4j.Sandbox}: a
 * Spring AI agent's commands and files go to whichever sandbox4j backend (namespaces, bubblewrap, docker,
 * a microVM...) under the sandbox4j policy that the wrapped sandbox enforces.
 *
 * <pre>{@code
 * try (Sandbox sandbox = Sandbox4jSandbox.builder()
 *         .sandbox(dev.sandbox4j.Sandbox.builder().backend("bubblewrap").policy(IsolationPolicy.strict()))
 *         .build()) {
 *     ExecResult r = sandbox.exec(ExecSpec.builder().shellCommand("echo hi").timeout(Duration.ofSeconds(10)).build());
 * }
 * }</pre>
 *
 * <p>How the agent-sandbox API maps onto sandbox4j:
 * <ul>
 * <li>{@link ExecSpec#command()} is the argv, looked up in the sandbox's PATH; a
 *     {@link ExecSpec.Builder#shellCommand(String) shellCommand} runs as {@code /bin/sh -c} (as sandbox4j's
 *     {@link Command#shell(String)}; {@link Builder#shell(String...)} changes it, e.g. to {@code bash -c}).</li>
 * <li>{@link ExecSpec#env()} is added to the sandbox's environment (by default only PATH, HOME, LANG, TERM:
 *     nothing of the JVM's environment); the command runs in the workspace, {@link #workDir()} (a path
 *     inside the sandbox, {@code /workspace} by default).</li>
 * <li>{@link ExecSpec#timeout()}: the command's wall-time limit; when it is null the policy's
 *     {@code wallTime} applies (30 s under {@code strict()}). On expiry sandbox4j kills the whole process
 *     tree and this throws {@link SandboxException} caused by {@link TimeoutException}, as agent-sandbox's
 *     own sandboxes do.</li>
 * <li>A non-zero exit is a result ({@link ExecResult#failed()}), not an exception; output is decoded as
 *     UTF-8 and capped per stream by the policy's {@code maxOutput} (1 MiB under {@code strict()}).</li>
 * <li>{@link #files()} is the workspace through sandbox4j's files API: no path may leave it, through
 *     {@code ..} or a symlink.</li>
 * </ul>
 *
 * <p>Thread-safe: several threads may exec at once. {@link #close()} closes the sandbox4j sandbox (unless
 * {@link Builder#closeSandboxOnClose(boolean)} said otherwise); it is idempotent.
 */
public final class Sandbox4jSandbox implements Sandbox {
    private final dev.sandbox4j.Sandbox delegate;
    private final boolean closeDelegate;
    private final List<ExecSpecCustomizer> customizers;
    private final List<String> shell;
    private final Sandbox4jFiles files;
    private final AtomicBoolean closed = new AtomicBoolean();

    private Sandbox4jSandbox(Builder b, dev.sandbox4j.Sandbox delegate) {
        this.delegate = delegate;
        this.closeDelegate = b.closeSandboxOnClose;
        this.customizers = List.copyOf(b.customizers);
        this.shell = b.shell;
        this.files = new Sandbox4jFiles(this, delegate);
    }

    /** A builder; give it a sandbox4j sandbox or the builder of one. */
    public static Builder builder() {
        return new Builder();
    }

    /** The sandbox4j sandbox that runs the commands (its backend, policy, id for logs and events). */
    public dev.sandbox4j.Sandbox sandbox() {
        return delegate;
    }

    @Override
    public ExecResult exec(ExecSpec spec) {
        checkOpen();
        Command command = toCommand(spec);
        dev.sandbox4j.ExecResult r;
        try {
            r = delegate.exec(command);
        } catch (ExecException e) {
            throw new SandboxException("exec " + command.argv() + " in sandbox " + delegate.id() + " ("
                    + delegate.backend() + "): " + e.getMessage(), e);
        }
        if (r.timedOut()) {
            // the timeout that applied: the spec's, else the policy's per-exec wall time
            var limit = command.timeout().orElse(delegate.policy().limits().wallTime());
            throw new SandboxException("Command timed out after " + limit + ": " + command.argv(),
                    new TimeoutException("Command timed out after " + limit + " (the sandbox killed its whole process"
                            + " tree)", limit));
        }
        return new ExecResult(r.exitCode(), r.stdout(), r.stderr(), r.duration());
    }

    /**
     * Starts the command and returns it as a {@link Process}: its streams are the command's stdin, stdout
     * and stderr inside the sandbox, {@code destroy()} kills its tree, {@code pid()} is unsupported (the
     * process has no pid on this host that could be used safely). The spec's timeout, else the policy's
     * wall time, still applies.
     */
    @Override
    public Process startInteractive(ExecSpec spec) {
        checkOpen();
        Command command = toCommand(spec);
        try {
            return new ExecutionProcess(delegate.start(command));
        } catch (ExecException e) {
            throw new SandboxException("start " + command.argv() + " in sandbox " + delegate.id() + ": " + e.getMessage(), e);
        }
    }

    private Command toCommand(ExecSpec spec) {
        Objects.requireNonNull(spec, "spec");
        ExecSpec s = spec;
        for (ExecSpecCustomizer c : customizers) {
            s = c.customize(s);
        }
        List<String> argv = s.command();
        if (argv == null || argv.isEmpty()) {
            throw new IllegalArgumentException("Command cannot be null or empty: give ExecSpec.builder().command(...)"
                    + " or .shellCommand(...)");
        }
        if (argv.size() == 2 && ExecSpecs.SHELL_MARKER.equals(argv.get(0))) {
            List<String> withShell = new ArrayList<>(shell);
            withShell.add(argv.get(1));
            argv = withShell;
        }
        try {
            Command c = Command.of(argv);
            for (var e : s.env().entrySet()) {
                c = c.env(e.getKey(), e.getValue());
            }
            if (s.timeout() != null) {
                c = c.timeout(s.timeout());
            }
            return c;
        } catch (InvalidInputException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /** Where commands run, inside the sandbox ({@code /workspace} by default); not a path on this host. */
    @Override
    public Path workDir() {
        return Path.of(delegate.workspacePath());
    }

    /** Closed when {@link #close()} was called or the sandbox4j sandbox was closed by its owner. */
    @Override
    public boolean isClosed() {
        return closed.get() || delegate.isClosed();
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true) && closeDelegate) {
            delegate.close();
        }
    }

    @Override
    public SandboxFiles files() {
        checkOpen();
        return files;
    }

    /** Whether {@link #close()} also closes the sandbox4j sandbox, which removes its temp workspace. */
    @Override
    public boolean shouldCleanupOnClose() {
        return closeDelegate;
    }

    void checkOpen() {
        if (isClosed()) {
            throw new IllegalStateException("Sandbox is closed: sandbox4j sandbox " + delegate.id()
                    + " (" + delegate.backend() + "); build a new one");
        }
    }

    @Override
    public String toString() {
        return "Sandbox4jSandbox{id=" + delegate.id() + ", backend=" + delegate.backend() + ", workDir="
                + delegate.workspacePath() + ", closed=" + isClosed() + "}";
    }

    /**
     * Builds a {@link Sandbox4jSandbox}. Give exactly one of {@link #sandbox(dev.sandbox4j.Sandbox)} and
     * {@link #sandbox(SandboxBuilder)}. Defaults: shell {@code /bin/sh -c}, no customizers, the sandbox4j
     * sandbox is closed with the adapter. Not thread-safe.
     */
    public static final class Builder {
        private dev.sandbox4j.Sandbox sandbox;
        private SandboxBuilder sandboxBuilder;
        private boolean closeSandboxOnClose = true;
        private final List<ExecSpecCustomizer> customizers = new ArrayList<>();
        private List<String> shell = List.of("/bin/sh", "-c");

        private Builder() {
        }

        /** An open sandbox4j sandbox to run in. */
        public Builder sandbox(dev.sandbox4j.Sandbox sandbox) {
            this.sandbox = Objects.requireNonNull(sandbox, "sandbox");
            return this;
        }

        /** A sandbox4j builder; {@link #build()} builds the sandbox with it (its backend, policy, image...). */
        public Builder sandbox(SandboxBuilder builder) {
            this.sandboxBuilder = Objects.requireNonNull(builder, "builder");
            return this;
        }

        /** Whether {@link Sandbox4jSandbox#close()} closes the sandbox4j sandbox too; default true. */
        public Builder closeSandboxOnClose(boolean close) {
            this.closeSandboxOnClose = close;
            return this;
        }

        /** Applied to every spec before it runs, in the order given (as agent-sandbox's own sandboxes do). */
        public Builder customizer(ExecSpecCustomizer customizer) {
            customizers.add(Objects.requireNonNull(customizer, "customizer"));
            return this;
        }

        /**
         * The argv prefix for {@code shellCommand(script)}; the script is appended as the last argument.
         * Default {@code /bin/sh -c}; {@code shell("bash", "-c")} where the image has bash.
         */
        public Builder shell(String... prefix) {
            if (prefix == null || prefix.length == 0 || java.util.Arrays.asList(prefix).contains(null)) {
                throw new IllegalArgumentException("shell: give the program and its options, e.g. shell(\"bash\", \"-c\")");
            }
            this.shell = List.of(prefix);
            return this;
        }

        /**
         * The adapter, over the given sandbox or one built now.
         *
         * @throws IllegalStateException neither or both of the two {@code sandbox(...)} were given
         * @throws dev.sandbox4j.SandboxException what sandbox4j's {@code build()} throws (an unavailable
         *         backend, a policy it cannot enforce), unchanged so that its reason reaches the application
         */
        public Sandbox4jSandbox build() {
            if ((sandbox == null) == (sandboxBuilder == null)) {
                throw new IllegalStateException("Sandbox4jSandbox.builder(): give exactly one of sandbox(Sandbox) and"
                        + " sandbox(SandboxBuilder), e.g. .sandbox(dev.sandbox4j.Sandbox.builder().backend(\"bubblewrap\"))");
            }
            return new Sandbox4jSandbox(this, sandbox != null ? sandbox : sandboxBuilder.build());
        }
    }
}
