package dev.sandbox4j.langchain4j.internal;

import dev.sandbox4j.Sandbox;
import dev.sandbox4j.langchain4j.CellResult;
import dev.sandbox4j.langchain4j.SandboxCodeInterpreter;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * One {@link SandboxCodeInterpreter} per conversation, bound to that conversation's sandbox: made on the
 * conversation's first {@code run_python}, and replaced when the conversation's sandbox is (after an idle
 * close, the new sandbox gets a new interpreter; the old one's process died with its sandbox). Entries of
 * conversations whose sandbox is gone are dropped on the next call of any conversation. Thread-safe.
 */
public final class ConversationInterpreters {
    private final Map<Object, SandboxCodeInterpreter> byConversation = new ConcurrentHashMap<>();
    private final Function<Sandbox, SandboxCodeInterpreter> factory;

    public ConversationInterpreters(Function<Sandbox, SandboxCodeInterpreter> factory) {
        this.factory = factory;
    }

    /**
     * Runs a cell in the interpreter of {@code memoryId}, inside {@code access} so the sandbox counts the
     * call as running (the idle sweeper never closes it under a cell).
     *
     * @throws dev.sandbox4j.SandboxException when the sandbox cannot be made or python cannot start in it
     */
    public CellResult run(Object memoryId, SandboxAccess access, Set<Object> openConversations, String code) {
        byConversation.entrySet().removeIf(e -> {
            boolean gone = !e.getKey().equals(memoryId) && !openConversations.contains(e.getKey());
            if (gone) {
                e.getValue().close();
            }
            return gone;
        });
        return access.use(sandbox -> interpreter(memoryId, sandbox).run(code));
    }

    private SandboxCodeInterpreter interpreter(Object memoryId, Sandbox sandbox) {
        return byConversation.compute(memoryId, (id, old) -> {
            if (old != null && old.sandbox() == sandbox) {
                return old;
            }
            if (old != null) {
                old.close();
            }
            return factory.apply(sandbox);
        });
    }

    /** Ends the interpreter of a conversation, if it has one. */
    public void close(Object memoryId) {
        SandboxCodeInterpreter i = byConversation.remove(memoryId);
        if (i != null) {
            i.close();
        }
    }

    /** Ends every interpreter. */
    public void closeAll() {
        byConversation.keySet().forEach(this::close);
    }
}
