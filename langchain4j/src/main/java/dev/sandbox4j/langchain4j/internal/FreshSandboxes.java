package dev.sandbox4j.langchain4j.internal;

import dev.sandbox4j.Sandbox;
import dev.sandbox4j.SandboxBuilder;
import java.util.function.Function;

/**
 * A new sandbox for every use, closed right after: nothing one use leaves behind (files, processes) can
 * be seen by the next. A sandbox that cannot be made is reported through {@link SetupFailures}.
 * Thread-safe: {@link SandboxBuilder} is not, so its {@code build()} calls are serialised; the sandboxes
 * then run side by side.
 */
public final class FreshSandboxes implements SandboxAccess {
    private final SandboxBuilder builder;
    private final SetupFailures failures;

    /** Takes the builder over: the caller must not change it afterwards. */
    public FreshSandboxes(SandboxBuilder builder, SetupFailures failures) {
        this.builder = builder;
        this.failures = failures;
    }

    @Override
    public <T> T use(Function<Sandbox, T> action) {
        Sandbox sandbox;
        try {
            synchronized (builder) {
                sandbox = builder.build();
            }
        } catch (RuntimeException e) {
            throw failures.report("a fresh sandbox", e);
        }
        try (sandbox) {
            return action.apply(sandbox);
        }
    }

    /**
     * Builds one sandbox and closes it, to find a setup problem before the first use.
     *
     * @throws RuntimeException the builder's own exception (logged), e.g. {@code UnsupportedPolicyException}
     */
    public void verify() {
        Sandbox sandbox;
        try {
            synchronized (builder) {
                sandbox = builder.build();
            }
        } catch (RuntimeException e) {
            failures.log("the sandbox checked by verifyOnBuild()", e);
            throw e;
        }
        sandbox.close();
    }
}
