package dev.sandbox4j.langchain4j;

import dev.langchain4j.agent.tool.Tool;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.agent.tool.ToolSpecifications;
import dev.langchain4j.service.tool.ToolProvider;
import dev.langchain4j.service.tool.ToolProviderRequest;
import dev.langchain4j.service.tool.ToolProviderResult;
import dev.sandbox4j.BackendInfo;
import dev.sandbox4j.InvalidInputException;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.SandboxBuilder;
import dev.sandbox4j.SandboxException;
import dev.sandbox4j.SandboxImage;
import dev.sandbox4j.spi.Capability;
import dev.sandbox4j.langchain4j.internal.ConversationInterpreters;
import dev.sandbox4j.langchain4j.internal.ConversationSandboxes;
import dev.sandbox4j.langchain4j.internal.SetupFailures;
import dev.sandbox4j.langchain4j.internal.ToolDescriptions;
import dev.sandbox4j.langchain4j.internal.ToolOutcome;
import dev.sandbox4j.langchain4j.internal.ViolationLog;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * A LangChain4j {@link ToolProvider} that gives every conversation (chat memory id) its own sandbox with
 * the {@link SandboxTools}: the sandbox is made when a tool of that conversation first runs, files in its
 * workspace persist across the conversation's turns, and no two conversations ever share one. A
 * conversation's sandbox is closed by {@link #close(Object)} (call it when the conversation ends, for
 * example with {@code ChatMemoryAccess.evictChatMemory}), or by the idle sweeper once no tool of it has run
 * for the idle timeout; a later call of that conversation then starts with a fresh, empty sandbox.
 * {@link #close()} closes them all.
 *
 * <pre>{@code
 * try (SandboxToolProvider tools = SandboxToolProvider.builder()
 *         .sandboxes(Sandbox.builder().backend("bubblewrap"), IsolationPolicy.strict())
 *         .idleTimeout(Duration.ofMinutes(10))
 *         .verifyOnBuild()
 *         .build()) {
 *     Assistant assistant = AiServices.builder(Assistant.class)
 *             .chatModel(model)
 *             .chatMemoryProvider(id -> MessageWindowChatMemory.withMaxMessages(20))
 *             .toolProvider(tools)
 *             .build();
 * }
 * }</pre>
 *
 * <p>Each tool returns a LangChain4j {@code ToolExecutionResult}: the text the model reads, the error flag
 * set when the call failed (a non-zero exit, a timeout, a kill, a refusal, malformed arguments, no
 * sandbox; LangChain4j shows it as {@code ToolExecution.hasFailed()} and
 * {@code ToolExecutionResultMessage.isError()}), and the attributes of {@link ToolResultAttributes} (exit
 * code, duration, the policy violations the sandbox reported while the command ran). Malformed arguments
 * are answered with the tool's name and the shape it takes; the tools never throw into the model's loop.
 *
 * <p>When a conversation's sandbox cannot be made (an unknown backend name, a policy the backend cannot
 * enforce, no backend available: the application's setup, not the model's call), the diagnostic is logged
 * once through SLF4J (logger {@code dev.sandbox4j.langchain4j}, ERROR; WARN for a sandbox that failed to
 * start) and the model gets a short text saying that the tools are unavailable. {@link Builder#verifyOnBuild()}
 * finds such a setup at {@link Builder#build()} instead.
 *
 * <p>Defaults: sandboxes from {@code Sandbox.builder()} (backend {@code auto}, or the one named by the
 * {@code sandbox4j.backend} property) with {@link IsolationPolicy#strict()}; idle timeout 30 minutes; the
 * sweeper looks every minute, or every idle timeout when that is shorter (so a sandbox lives at most idle
 * timeout + sweep interval after its last call); {@link ToolLimits#defaults()}; no check at build. A
 * conversation without a memory id uses the id {@code "default"}.
 *
 * <p>Thread-safe: conversations run their tools at once, each in its own sandbox. A sandbox is never
 * closed by the sweeper while one of its tool calls runs; {@link #close(Object)} and {@link #close()} do
 * close it at once, and the running command is killed (its tool returns that as text).
 */
public final class SandboxToolProvider implements ToolProvider, AutoCloseable {
    /** The memory id that {@link Builder#verifyOnBuild()} passes to a custom sandbox factory. */
    public static final String VERIFY_MEMORY_ID = "sandbox4j-verify-on-build";

    /** Each tool: its parameters, in order, and how it runs on a conversation's {@link SandboxTools}. */
    private record ToolEntry(List<String> params, BiFunction<SandboxTools, Map<String, String>, ToolOutcome> run) {
    }

    private static final Map<String, ToolEntry> TOOLS = Map.of(
            "run_shell_command", new ToolEntry(List.of("command"), (t, a) -> t.shell(a.get("command"))),
            "write_file", new ToolEntry(List.of("path", "content"), (t, a) -> t.write(a.get("path"), a.get("content"))),
            "read_file", new ToolEntry(List.of("path"), (t, a) -> t.read(a.get("path"))),
            "list_directory", new ToolEntry(List.of("path"), (t, a) -> t.list(a.get("path"))));

    private final ConversationSandboxes sandboxes;
    private final ToolLimits limits;
    private final Optional<ViolationLog> violations;
    private final Map<String, ToolSpecification> specifications;
    /** The code interpreter's tool, when the builder asked for it. */
    private final Optional<ConversationInterpreters> interpreters;

    private SandboxToolProvider(Builder b, Optional<IsolationPolicy> policy, Optional<Boolean> keepsBackground) {
        this.limits = b.limits;
        this.violations = b.collectsViolations ? Optional.of(b.violations) : Optional.empty();
        this.specifications = specifications(policy, b.limits, keepsBackground);
        this.interpreters = b.interpreterFactory.map(ConversationInterpreters::new);
        Duration sweep = b.sweepInterval.orElse(b.idleTimeout.compareTo(Builder.MAX_DEFAULT_SWEEP) < 0
                ? b.idleTimeout : Builder.MAX_DEFAULT_SWEEP);
        this.sandboxes = new ConversationSandboxes(b.factory, b.idleTimeout, sweep, b.nanoClock, b.failures);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The tools' specifications in a stable order; the shell tool's tells the policy's facts when known. */
    private static Map<String, ToolSpecification> specifications(Optional<IsolationPolicy> policy, ToolLimits limits,
                                                                 Optional<Boolean> keepsBackground) {
        Map<String, ToolSpecification> specs = new LinkedHashMap<>();
        Arrays.stream(SandboxTools.class.getMethods())
                .filter(m -> m.isAnnotationPresent(Tool.class))
                .sorted(Comparator.comparing(Method::getName))
                .map(ToolSpecifications::toolSpecificationFrom)
                .forEach(spec -> specs.put(spec.name(), spec));
        specs.computeIfPresent("run_shell_command", (name, spec) -> spec.toBuilder()
                .description(ToolDescriptions.shell(policy, limits.commandTimeout(), limits.maxResultChars(),
                        "the conversation's sandbox", keepsBackground))
                .build());
        if (!specs.keySet().equals(TOOLS.keySet())) {
            throw new IllegalStateException("SandboxToolProvider: the tools " + TOOLS.keySet()
                    + " do not match SandboxTools' " + specs.keySet());
        }
        return specs;
    }

    /**
     * The four tools (five with {@link Builder#codeInterpreter(boolean) run_python}), bound to the sandbox of
     * the request's memory id (made when one of them first runs).
     * Each returns a {@code ToolExecutionResult} marked as an error when the call failed, with the
     * attributes of {@link ToolResultAttributes}.
     *
     * @throws SandboxException when this provider is closed
     */
    @Override
    public ToolProviderResult provideTools(ToolProviderRequest request) {
        if (sandboxes.isClosed()) {
            throw new SandboxException("SandboxToolProvider.provideTools: the provider is closed and its sandboxes are"
                    + " gone; build a new provider for new conversations");
        }
        Object memoryId = request.chatMemoryId() == null ? "default" : request.chatMemoryId();
        SandboxTools tools = new SandboxTools(sandboxes.access(memoryId), limits, violations);
        ToolProviderResult.Builder result = ToolProviderResult.builder();
        specifications.forEach((name, spec) -> {
            ToolEntry entry = TOOLS.get(name);
            result.add(spec, new SandboxToolExecutor(name, entry.params(), args -> entry.run().apply(tools, args)));
        });
        interpreters.ifPresent(i -> CodeInterpreterTool.addTo(result, code -> i.run(memoryId,
                sandboxes.access(memoryId), sandboxes.openConversations(), code)));
        return result.build();
    }

    /** The open sandbox of a conversation, when one of its tools made it; for copying results out. */
    public Optional<Sandbox> sandbox(Object memoryId) {
        return sandboxes.sandbox(memoryId);
    }

    /** The memory ids whose sandbox is open now. */
    public Set<Object> openConversations() {
        return sandboxes.openConversations();
    }

    /**
     * Ends a conversation's sandbox: kills what runs in it and removes its files. A later tool call of the
     * same memory id starts a new, empty sandbox.
     *
     * @return true when the conversation had an open sandbox
     */
    public boolean close(Object memoryId) {
        interpreters.ifPresent(i -> i.close(memoryId));
        return sandboxes.close(memoryId);
    }

    /**
     * Runs the idle sweep now: closes every conversation's sandbox that no tool has used for the idle
     * timeout and that runs no call. For an application that schedules its own sweeps (set a long
     * {@link Builder#sweepInterval}) and for tests.
     */
    public void sweepNow() {
        sandboxes.sweep();
    }

    /** Stops the sweeper and closes every conversation's sandbox. Idempotent. */
    @Override
    public void close() {
        interpreters.ifPresent(ConversationInterpreters::closeAll);
        sandboxes.close();
    }

    /** The provider's options; every default is set here. Not thread-safe; build once. */
    public static final class Builder {
        static final Duration MAX_DEFAULT_SWEEP = Duration.ofMinutes(1);

        private final SetupFailures failures = new SetupFailures("SandboxToolProvider");
        private final ViolationLog violations = new ViolationLog();
        private Function<Object, Sandbox> factory;
        private Optional<IsolationPolicy> policy = Optional.empty();
        /** The builder behind {@link #sandboxes}, asked which backend it picks; empty with a custom factory. */
        private Optional<SandboxBuilder> chooser = Optional.empty();
        private Duration idleTimeout = Duration.ofMinutes(30);
        private Optional<Duration> sweepInterval = Optional.empty();
        private ToolLimits limits = ToolLimits.defaults();
        private LongSupplier nanoClock = System::nanoTime;
        private boolean verifyOnBuild;
        private boolean collectsViolations;
        private Optional<Function<Sandbox, SandboxCodeInterpreter>> interpreterFactory = Optional.empty();

        private Builder() {
        }

        /**
         * Makes every conversation's sandbox with {@code builder} and {@code policy}. The provider takes the
         * builder over (it adds a listener that collects policy violations for the
         * {@link ToolResultAttributes#VIOLATIONS} attribute): do not change it afterwards. The shell tool's
         * description then states the policy's network, time limit and user. Replaces an earlier
         * {@link #sandboxFactory}. Default: {@code (Sandbox.builder(), IsolationPolicy.strict())}.
         */
        public Builder sandboxes(SandboxBuilder builder, IsolationPolicy policy) {
            if (builder == null || policy == null) {
                throw new InvalidInputException("SandboxToolProvider.sandboxes: give a builder and a policy, e.g."
                        + " (Sandbox.builder().backend(\"bubblewrap\"), IsolationPolicy.strict())");
            }
            SandboxBuilder configured = builder.policy(policy).listener(violations);
            chooser = Optional.of(configured);
            // SandboxBuilder.build() may run on several threads at once once configured: no lock, so
            // conversations start their sandboxes side by side
            factory = memoryId -> configured.build();
            this.policy = Optional.of(policy);
            collectsViolations = true;
            return this;
        }

        /**
         * Adds the {@code run_python} tool ({@link CodeInterpreterTool}): a {@link SandboxCodeInterpreter} with
         * its defaults per conversation, in the conversation's sandbox, living and dying with it (variables
         * persist across the conversation's turns; after an idle close the next call starts a fresh one).
         * Default: off.
         */
        public Builder codeInterpreter(boolean on) {
            interpreterFactory = on ? Optional.of(SandboxCodeInterpreter::of) : Optional.empty();
            return this;
        }

        /** Adds the {@code run_python} tool, each conversation's interpreter made by {@code f} from its sandbox. */
        public Builder codeInterpreter(Function<Sandbox, SandboxCodeInterpreter> f) {
            if (f == null) {
                throw new InvalidInputException("SandboxToolProvider.codeInterpreter: no factory given, e.g. sandbox -> SandboxCodeInterpreter.of(sandbox)");
            }
            interpreterFactory = Optional.of(f);
            return this;
        }

        /**
         * Makes the sandbox of a conversation from its memory id; called on the conversation's first tool
         * call, with no lock of other conversations held. The provider owns what it returns and closes it.
         * The provider does not see what policy the factory applies (the shell tool's description says the
         * policy decides, unless {@link #verifyOnBuild()} shows it) nor the sandboxes' policy violations; use
         * {@link #sandboxes} for those. Replaces an earlier {@link #sandboxes}.
         */
        public Builder sandboxFactory(Function<Object, Sandbox> f) {
            if (f == null) {
                throw new InvalidInputException("SandboxToolProvider.sandboxFactory: no factory given, e.g. id -> Sandbox.builder().build()");
            }
            factory = f;
            policy = Optional.empty();
            chooser = Optional.empty();
            collectsViolations = false;
            return this;
        }

        /**
         * Makes {@link #build()} check the sandbox setup before it returns, so that a misspelt backend name, a
         * policy the backend cannot enforce or a backend that is not available here fails the application's
         * start instead of every tool call: {@code build()} makes one sandbox (with a custom factory: for the
         * memory id {@value SandboxToolProvider#VERIFY_MEMORY_ID}) and closes it. The core chooses the
         * backend and checks the policy before it starts anything, so those failures cost nothing; a setup
         * that works costs one sandbox start (milliseconds for the Linux backends, seconds for a VM). Off by
         * default: the provider then makes no sandbox before the first tool call.
         */
        public Builder verifyOnBuild() {
            verifyOnBuild = true;
            return this;
        }

        /** A sandbox whose tools have not run for this long is closed. Default 30 minutes. */
        public Builder idleTimeout(Duration d) {
            idleTimeout = positive("idleTimeout", d);
            return this;
        }

        /** How often the sweeper looks for idle sandboxes. Default: 1 minute, or the idle timeout if shorter. */
        public Builder sweepInterval(Duration d) {
            sweepInterval = Optional.of(positive("sweepInterval", d));
            return this;
        }

        /** The tools' limits. Default {@link ToolLimits#defaults()}. */
        public Builder limits(ToolLimits l) {
            if (l == null) {
                throw new InvalidInputException("SandboxToolProvider.limits: no limits given; use ToolLimits.defaults()");
            }
            limits = l;
            return this;
        }

        /** The time source of the idle timeout, in nanoseconds; for tests. */
        Builder nanoClock(LongSupplier clock) {
            nanoClock = clock;
            return this;
        }

        private static Duration positive(String what, Duration d) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new InvalidInputException("SandboxToolProvider." + what + ": " + d
                        + " must be a positive duration (e.g. Duration.ofMinutes(10))");
            }
            return d;
        }

        /**
         * Starts the sweeper thread; close the provider to stop it.
         *
         * @throws SandboxException with {@link #verifyOnBuild()}: the core's own exception when the sandbox
         *                          cannot be made ({@code InvalidInputException} for an unknown backend,
         *                          {@code UnsupportedPolicyException}, {@code BackendUnavailableException},
         *                          {@code SandboxStartException}); it is logged as well
         */
        public SandboxToolProvider build() {
            if (factory == null) {
                sandboxes(Sandbox.builder(), IsolationPolicy.strict());
            }
            Optional<IsolationPolicy> known = policy;
            Optional<String> backend = Optional.empty();
            if (verifyOnBuild) {
                Sandbox made = verify();
                known = known.or(() -> Optional.of(made.policy()));
                backend = Optional.of(made.backend());
            }
            return new SandboxToolProvider(this, known, keepsBackground(backend, known));
        }

        /**
         * Whether the sandboxes' backend keeps background processes for later calls, for the shell tool's
         * description: from the backend that verifyOnBuild() used, else from the one the builder would pick
         * now; empty when neither is known (a custom factory, or no backend fits yet: the first call says why).
         */
        private Optional<Boolean> keepsBackground(Optional<String> backend, Optional<IsolationPolicy> policy) {
            try {
                // one backend's probe (cached by the core), never Sandbox.backends(), which probes every
                // installed backend afresh; the capabilities do not depend on the probe
                Optional<BackendInfo> info = chooser.isPresent() ? chooser.map(SandboxBuilder::choose)
                        : backend.map(name -> Sandbox.choose(name, policy.orElse(IsolationPolicy.permissive()),
                                SandboxImage.host()));
                return info.map(i -> i.capabilities().contains(Capability.KEEP_BACKGROUND));
            } catch (SandboxException e) {
                return Optional.empty();
            }
        }

        /** Makes one sandbox and closes it; returns it (closed) for its policy and backend name. */
        private Sandbox verify() {
            Sandbox sandbox;
            try {
                sandbox = factory.apply(VERIFY_MEMORY_ID);
                if (sandbox == null) {
                    throw new SandboxException("SandboxToolProvider.verifyOnBuild: the sandbox factory returned null;"
                            + " it must return an open Sandbox or throw");
                }
            } catch (RuntimeException e) {
                failures.log("the sandbox checked by verifyOnBuild()", e);
                throw e;
            }
            try (sandbox) {
                return sandbox;
            }
        }
    }

    @Override
    public String toString() {
        return "SandboxToolProvider[open conversations=" + sandboxes.openConversations().size() + "]";
    }
}
