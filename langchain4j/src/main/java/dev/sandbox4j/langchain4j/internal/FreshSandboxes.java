package dev.sandbox4j.langchain4j.internal;

import dev.sandbox4j.Sandbox;
import dev.sandbox4j.SandboxBuilder;
import java.util.function.Function;

/**
 * A new sandbox for every use, closed right after: nothing one use leaves behind (files, processes) can
 * be seen by the next. Thread-safe: {@link SandboxBuilder} is not, so its {@code build()} calls are
 * serialised; the sandboxes then run side by side.
 */
public final class FreshSandboxes implements SandboxAccess {
    private final SandboxBuilder builder;

    /** Takes the builder over: the caller must not change it afterwards. */
    public FreshSandboxes(SandboxBuilder builder) {
        this.builder = builder;
    }

    @Override
    public String use(Function<Sandbox, String> action) {
        Sandbox sandbox;
        synchronized (builder) {
            sandbox = builder.build();
        }
        try (sandbox) {
            return action.apply(sandbox);
        }
    }
}
