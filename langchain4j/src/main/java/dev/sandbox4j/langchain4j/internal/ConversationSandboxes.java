package dev.sandbox4j.langchain4j.internal;

import dev.sandbox4j.Sandbox;
import dev.sandbox4j.SandboxException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sandboxes of many conversations, keyed by memory id: each made on first use, closed by
 * {@link #close(Object)}, by the idle sweeper, or by {@link #close()} with all the others. Thread-safe.
 */
public final class ConversationSandboxes implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger("dev.sandbox4j.langchain4j");

    private final Function<Object, Sandbox> factory;
    private final long idleNanos;
    private final LongSupplier nanoClock;
    private final SetupFailures failures;
    private final Map<Object, Conversation> conversations = new ConcurrentHashMap<>();
    private final ScheduledExecutorService sweeper;
    private volatile boolean closed;

    /**
     * @param factory       makes the sandbox of a memory id
     * @param idleTimeout   a sandbox unused this long is closed by the sweeper
     * @param sweepInterval how often the sweeper looks
     * @param nanoClock     the time source in nanoseconds ({@code System::nanoTime} but in tests)
     * @param failures      where a factory's failure is logged
     */
    public ConversationSandboxes(Function<Object, Sandbox> factory, Duration idleTimeout, Duration sweepInterval,
                                 LongSupplier nanoClock, SetupFailures failures) {
        this.factory = factory;
        this.failures = failures;
        this.idleNanos = idleTimeout.toNanos();
        this.nanoClock = nanoClock;
        this.sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "sandbox4j-conversation-sweeper");
            t.setDaemon(true);
            return t;
        });
        long every = sweepInterval.toNanos();
        sweeper.scheduleWithFixedDelay(this::sweep, every, every, TimeUnit.NANOSECONDS);
    }

    /** Access to the sandbox of {@code memoryId}, made when a tool first uses it. */
    public SandboxAccess access(Object memoryId) {
        return new SandboxAccess() {
            @Override
            public <T> T use(Function<Sandbox, T> action) {
                return useConversation(memoryId, action);
            }

            @Override
            public String name() {
                return "the conversation's sandbox";
            }
        };
    }

    private <T> T useConversation(Object memoryId, Function<Sandbox, T> action) {
        while (true) {
            requireOpen();
            Conversation c = conversations.computeIfAbsent(memoryId,
                    id -> new Conversation(id, factory, nanoClock, failures));
            if (!c.enter()) {
                // closed by the sweeper or close(memoryId) between the lookup and now: start afresh
                conversations.remove(memoryId, c);
                continue;
            }
            try {
                if (closed) {
                    // close() may have missed a conversation made while it ran: never leave one open
                    c.close();
                    conversations.remove(memoryId, c);
                    requireOpen();
                }
                return action.apply(c.sandbox());
            } finally {
                c.exit();
            }
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new SandboxException("the sandbox tool provider is closed; its conversations' sandboxes are gone");
        }
    }

    /** The open sandbox of {@code memoryId}, if a tool made one and it was not closed since. */
    public Optional<Sandbox> sandbox(Object memoryId) {
        Conversation c = conversations.get(memoryId);
        return c == null ? Optional.empty() : c.openSandbox();
    }

    /** The memory ids whose sandbox is open now. */
    public Set<Object> openConversations() {
        return conversations.entrySet().stream().filter(e -> e.getValue().openSandbox().isPresent())
                .map(Map.Entry::getKey).collect(java.util.stream.Collectors.toUnmodifiableSet());
    }

    /** Closes the sandbox of {@code memoryId}; true when there was one open. */
    public boolean close(Object memoryId) {
        Conversation c = conversations.remove(memoryId);
        if (c == null) {
            return false;
        }
        boolean wasOpen = c.openSandbox().isPresent();
        c.close();
        return wasOpen;
    }

    /** Closes every sandbox unused for the idle timeout and not running a call; the sweeper calls it. */
    public void sweep() {
        try {
            for (Map.Entry<Object, Conversation> e : conversations.entrySet()) {
                if (e.getValue().closeIfIdle(idleNanos)) {
                    conversations.remove(e.getKey(), e.getValue());
                }
            }
        } catch (RuntimeException e) {
            // a scheduled task that throws is never run again: log and keep sweeping next time
            LOG.warn("the idle sweep of conversation sandboxes failed", e);
        }
    }

    public boolean isClosed() {
        return closed;
    }

    /** Stops the sweeper and closes every sandbox. Idempotent. */
    @Override
    public void close() {
        closed = true;
        sweeper.shutdownNow();
        for (Object id : List.copyOf(conversations.keySet())) {
            close(id);
        }
    }
}
