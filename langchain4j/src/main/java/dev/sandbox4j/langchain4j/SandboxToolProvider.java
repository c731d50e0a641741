package dev.sandbox4j.langchain4j;

import dev.langchain4j.agent.tool.Tool;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.agent.tool.ToolSpecifications;
import dev.langchain4j.service.tool.DefaultToolExecutor;
import dev.langchain4j.service.tool.ToolProvider;
import dev.langchain4j.service.tool.ToolProviderRequest;
import dev.langchain4j.service.tool.ToolProviderResult;
import dev.sandbox4j.InvalidInputException;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.SandboxException;
import dev.sandbox4j.langchain4j.internal.ConversationSandboxes;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
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
 *         .sandboxFactory(memoryId -> Sandbox.builder().backend("bubblewrap").build())
 *         .idleTimeout(Duration.ofMinutes(10))
 *         .build()) {
 *     Assistant assistant = AiServices.builder(Assistant.class)
 *             .chatModel(model)
 *             .chatMemoryProvider(id -> MessageWindowChatMemory.withMaxMessages(20))
 *             .toolProvider(tools)
 *             .build();
 * }
 * }</pre>
 *
 * <p>Defaults: the factory {@code memoryId -> Sandbox.builder().build()} (backend {@code auto},
 * {@link dev.sandbox4j.IsolationPolicy#strict()}); idle timeout 30 minutes; the sweeper looks every
 * minute, or every idle timeout when that is shorter (so a sandbox lives at most idle timeout + sweep
 * interval after its last call); {@link ToolLimits#defaults()}. A conversation without a memory id uses
 * the id {@code "default"}.
 *
 * <p>Thread-safe: conversations run their tools at once, each in its own sandbox. A sandbox is never
 * closed by the sweeper while one of its tool calls runs; {@link #close(Object)} and {@link #close()} do
 * close it at once, and the running command is killed (its tool returns that as text).
 */
public final class SandboxToolProvider implements ToolProvider, AutoCloseable {
    /** The tools' methods, in a stable order, with their specifications. */
    private static final Map<Method, ToolSpecification> TOOLS = toolMethods();

    private final ConversationSandboxes sandboxes;
    private final ToolLimits limits;

    private SandboxToolProvider(Builder b) {
        this.limits = b.limits;
        Duration sweep = b.sweepInterval.orElse(b.idleTimeout.compareTo(Builder.MAX_DEFAULT_SWEEP) < 0
                ? b.idleTimeout : Builder.MAX_DEFAULT_SWEEP);
        this.sandboxes = new ConversationSandboxes(b.factory, b.idleTimeout, sweep, b.nanoClock);
    }

    public static Builder builder() {
        return new Builder();
    }

    private static Map<Method, ToolSpecification> toolMethods() {
        Map<Method, ToolSpecification> tools = new LinkedHashMap<>();
        Arrays.stream(SandboxTools.class.getMethods())
                .filter(m -> m.isAnnotationPresent(Tool.class))
                .sorted(Comparator.comparing(Method::getName))
                .forEach(m -> tools.put(m, ToolSpecifications.toolSpecificationFrom(m)));
        return Collections.unmodifiableMap(tools);
    }

    /**
     * The four tools, bound to the sandbox of the request's memory id (made when one of them first runs).
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
        SandboxTools tools = new SandboxTools(sandboxes.access(memoryId), limits);
        ToolProviderResult.Builder result = ToolProviderResult.builder();
        TOOLS.forEach((method, spec) -> result.add(spec, new DefaultToolExecutor(tools, method)));
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
        return sandboxes.close(memoryId);
    }

    /** Runs the idle sweep now (tests, or an application that schedules its own sweeps). */
    void sweepNow() {
        sandboxes.sweep();
    }

    /** Stops the sweeper and closes every conversation's sandbox. Idempotent. */
    @Override
    public void close() {
        sandboxes.close();
    }

    /** The provider's options; every default is set here. Not thread-safe; build once. */
    public static final class Builder {
        static final Duration MAX_DEFAULT_SWEEP = Duration.ofMinutes(1);

        private Function<Object, Sandbox> factory = memoryId -> Sandbox.builder().build();
        private Duration idleTimeout = Duration.ofMinutes(30);
        private Optional<Duration> sweepInterval = Optional.empty();
        private ToolLimits limits = ToolLimits.defaults();
        private LongSupplier nanoClock = System::nanoTime;

        private Builder() {
        }

        /**
         * Makes the sandbox of a conversation from its memory id; called on the conversation's first tool
         * call, with no lock of other conversations held. The provider owns what it returns and closes it.
         */
        public Builder sandboxFactory(Function<Object, Sandbox> f) {
            if (f == null) {
                throw new InvalidInputException("SandboxToolProvider.sandboxFactory: no factory given, e.g. id -> Sandbox.builder().build()");
            }
            factory = f;
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

        /** Starts the sweeper thread; close the provider to stop it. */
        public SandboxToolProvider build() {
            return new SandboxToolProvider(this);
        }
    }

    @Override
    public String toString() {
        return "SandboxToolProvider[open conversations=" + sandboxes.openConversations().size() + "]";
    }
}
