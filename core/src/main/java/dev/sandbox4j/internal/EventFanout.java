package dev.sandbox4j.internal;

import dev.sandbox4j.SandboxEvent;
import dev.sandbox4j.SandboxListener;
import dev.sandbox4j.spi.EventSink;
import java.time.Instant;
import java.util.List;

/**
 * Hands a sandbox's events to its listeners, in order, on the calling thread. A listener that throws is
 * logged through {@link System.Logger} and otherwise ignored. Also the {@link EventSink} a backend
 * reports violations and progress to. Thread-safe (the listener list is immutable).
 */
final class EventFanout implements EventSink {
    private static final System.Logger LOG = System.getLogger("dev.sandbox4j");

    private final String sandboxId;
    private final List<SandboxListener> listeners;

    EventFanout(String sandboxId, List<SandboxListener> listeners) {
        this.sandboxId = sandboxId;
        this.listeners = List.copyOf(listeners);
    }

    void emit(SandboxEvent event) {
        for (SandboxListener l : listeners) {
            try {
                l.onEvent(event);
            } catch (VirtualMachineError e) {
                throw e;
            } catch (Throwable e) {
                LOG.log(System.Logger.Level.WARNING, "sandbox listener " + l.getClass().getName() + " threw on "
                        + event.getClass().getSimpleName() + " of sandbox " + sandboxId + "; ignored", e);
            }
        }
    }

    @Override
    public void violation(String rule, String detail) {
        emit(new SandboxEvent.PolicyViolation(sandboxId, Instant.now(), String.valueOf(rule), String.valueOf(detail)));
    }

    @Override
    public void progress(String step, String detail) {
        emit(new SandboxEvent.Progress(sandboxId, Instant.now(), String.valueOf(step), String.valueOf(detail)));
    }
}
