package dev.sandbox4j.langchain4j.internal;

import dev.sandbox4j.SandboxEvent;
import dev.sandbox4j.SandboxListener;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The policy violations sandboxes report, kept per sandbox so that a tool call can ask which ones arrived
 * while its command ran. A backend reports a violation when the command's exit is processed (on a thread
 * of its own, before {@code exec} returns), so a call reads them by a mark taken before the command and a
 * look after it. Calls that run at once in one sandbox each see every violation of that time: the limits
 * are the sandbox's, shared by its commands. A sandbox's entries are dropped when it closes. Thread-safe.
 */
public final class ViolationLog implements SandboxListener {
    /** The most violations remembered per sandbox; older ones are dropped. */
    private static final int KEEP = 32;

    private record Entry(long seq, String text) {
    }

    private static final class PerSandbox {
        final AtomicLong seq = new AtomicLong();
        final Deque<Entry> entries = new ConcurrentLinkedDeque<>();
    }

    private final Map<String, PerSandbox> sandboxes = new ConcurrentHashMap<>();

    @Override
    public void onEvent(SandboxEvent event) {
        if (event instanceof SandboxEvent.PolicyViolation v) {
            PerSandbox s = sandboxes.computeIfAbsent(v.sandboxId(), id -> new PerSandbox());
            s.entries.addLast(new Entry(s.seq.incrementAndGet(), v.rule() + ": " + v.detail()));
            while (s.entries.size() > KEEP) {
                s.entries.pollFirst();
            }
        } else if (event instanceof SandboxEvent.Closed c) {
            sandboxes.remove(c.sandboxId());
        }
    }

    /** The position to read from after a command. */
    public long mark(String sandboxId) {
        PerSandbox s = sandboxes.get(sandboxId);
        return s == null ? 0 : s.seq.get();
    }

    /** The violations reported since {@code mark}, as "rule: detail", oldest first. */
    public List<String> since(String sandboxId, long mark) {
        PerSandbox s = sandboxes.get(sandboxId);
        List<String> out = new ArrayList<>();
        if (s != null) {
            for (Entry e : s.entries) {
                if (e.seq() > mark) {
                    out.add(e.text());
                }
            }
        }
        return out;
    }
}
