package dev.sandbox4j.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandbox4j.BackendInfo;
import dev.sandbox4j.Command;
import dev.sandbox4j.ExecResult;
import dev.sandbox4j.FilesystemPolicy;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.SandboxBuilder;
import dev.sandbox4j.spi.Capability;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/**
 * The configuration hooks, the availability gate and the sandbox plumbing of the contract kit. Not meant
 * to be extended directly: extend {@link SandboxContractTest}.
 *
 * <p>One instance per test class ({@link TestInstance.Lifecycle#PER_CLASS}), so the gate in
 * {@code @BeforeAll} can call the subclass's hooks, and one shared sandbox serves the rules that do not
 * need a policy of their own; a rule that does makes its own through {@link #newSandbox(IsolationPolicy)},
 * which is closed after the test whatever happened.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class ContractTestBase {

    /** The policy parts that {@link IsolationPolicy#strict()} needs a capability for. */
    private static final Set<Capability> STRICT_NEEDS = EnumSet.of(Capability.FILESYSTEM_VIEW, Capability.TMPFS,
            Capability.NETWORK_NONE, Capability.MEMORY_LIMIT, Capability.CPU_LIMIT, Capability.PIDS_LIMIT,
            Capability.FILE_SIZE_LIMIT, Capability.OPEN_FILES_LIMIT, Capability.SYSCALL_FILTER,
            Capability.PID_ISOLATION, Capability.RUN_AS_UID, Capability.NO_NEW_PRIVILEGES, Capability.DROP_CAPABILITIES);

    private BackendInfo info;
    private IsolationPolicy basePolicy;
    private Sandbox shared;
    private final List<Sandbox> perTest = new ArrayList<>();

    /** The name of the backend under test, as its provider's {@code name()} returns it. */
    protected abstract String backendName();

    /**
     * The policy every sandbox of the kit starts from. Default: {@link IsolationPolicy#strict()} when the
     * backend claims every capability it needs; otherwise the test fails, asking the backend's test to
     * override this (usually with {@code strongestPolicyFor(capabilities())}). A rule that checks a
     * capability switches the matching policy part on in a copy of this policy.
     */
    protected IsolationPolicy policy() {
        Set<Capability> missing = EnumSet.copyOf(STRICT_NEEDS);
        missing.removeAll(capabilities());
        if (missing.isEmpty()) {
            return IsolationPolicy.strict();
        }
        return Assertions.fail(backendName() + " cannot enforce IsolationPolicy.strict(): it does not claim " + missing
                + "; override policy() in " + getClass().getSimpleName()
                + ", for example with: return strongestPolicyFor(capabilities());");
    }

    /** Adds what the backend needs to the builder (an image, options); the default adds nothing. */
    protected SandboxBuilder configure(SandboxBuilder builder) {
        return builder;
    }

    /** What the backend claims; default: its {@code capabilities()} as {@link Sandbox#backends()} reports them. */
    protected Set<Capability> capabilities() {
        return info().capabilities();
    }

    /**
     * {@link IsolationPolicy#strict()} with exactly the parts relaxed that {@code claimed} cannot enforce:
     * no FILESYSTEM_VIEW: the host's file system; no TMPFS: no tmpfs mounts; no NETWORK_NONE: loopback,
     * else host; each missing limit capability: that limit removed; no SYSCALL_FILTER: no filter; no
     * PID_ISOLATION, RUN_AS_UID, NO_NEW_PRIVILEGES or DROP_CAPABILITIES: that process field relaxed.
     */
    protected static IsolationPolicy strongestPolicyFor(Set<Capability> claimed) {
        return IsolationPolicy.strongestFor(claimed);
    }

    @BeforeAll
    final void gateOnAvailability() {
        info = BackendRequirement.assumeAvailable(backendName());
        basePolicy = policy();
    }

    @AfterEach
    final void closePerTestSandboxes() {
        List<Sandbox> toClose;
        synchronized (perTest) {
            toClose = new ArrayList<>(perTest);
            perTest.clear();
        }
        toClose.forEach(Sandbox::close);
    }

    @AfterAll
    final void closeSharedSandbox() {
        if (shared != null) {
            shared.close();
            shared = null;
        }
    }

    /** The backend as {@link Sandbox#backends()} described it when the class started. */
    protected final BackendInfo info() {
        if (info == null) {
            info = BackendRequirement.assumeAvailable(backendName());
        }
        return info;
    }

    /** {@link #policy()}, computed once per class. */
    protected final IsolationPolicy basePolicy() {
        if (basePolicy == null) {
            basePolicy = policy();
        }
        return basePolicy;
    }

    /** A sandbox with {@link #basePolicy()}, shared by the rules of this class that need nothing special. */
    protected final synchronized Sandbox sandbox() {
        if (shared == null) {
            shared = configure(Sandbox.builder().backend(backendName()).policy(basePolicy())).build();
        }
        return shared;
    }

    /** A fresh sandbox with {@code policy}, closed after the current test. */
    protected final Sandbox newSandbox(IsolationPolicy policy) {
        return newSandbox(policy, UnaryOperator.identity());
    }

    /** A fresh sandbox with {@code policy} and further builder settings, closed after the current test. */
    protected final Sandbox newSandbox(IsolationPolicy policy, UnaryOperator<SandboxBuilder> more) {
        Sandbox s = more.apply(configure(Sandbox.builder().backend(backendName()).policy(policy))).build();
        synchronized (perTest) {
            perTest.add(s);
        }
        return s;
    }

    /** A fresh sandbox with a copy of {@link #basePolicy()} adjusted by {@code edit}, closed after the test. */
    protected final Sandbox newSandbox(UnaryOperator<IsolationPolicy.Builder> edit) {
        return newSandbox(edit.apply(basePolicy().toBuilder()).build());
    }

    /** Aborts the test, visibly, unless the backend claims every one of {@code needed}. */
    protected final void requires(Capability... needed) {
        List<Capability> missing = List.of(needed).stream().filter(c -> !capabilities().contains(c)).toList();
        if (!missing.isEmpty()) {
            Assumptions.abort("not claimed by " + backendName() + ": "
                    + missing.stream().map(Enum::name).collect(Collectors.joining(", ")));
        }
    }

    /** Aborts the test, naming the rule, when {@code tool} is not on the sandbox's PATH. */
    protected final void requireTool(Sandbox sandbox, String tool, String rule) {
        ExecResult r = sandbox.exec(Command.shell("command -v " + tool));
        if (r.exitCode() != 0) {
            Assumptions.abort("'" + tool + "' is not in the image of " + backendName() + ", so the rule '" + rule
                    + "' cannot be checked here (" + r + ", stderr: " + r.stderr().strip() + ")");
        }
    }

    /** Aborts the test, naming the rule, when the sandbox has no /proc of its own processes. */
    protected final void requireProc(Sandbox sandbox, String rule) {
        ExecResult r = sandbox.exec(Command.shell("test -r /proc/self/status && test -d /proc/self/fd"));
        if (r.exitCode() != 0) {
            Assumptions.abort("/proc is not mounted inside " + backendName() + ", so the rule '" + rule
                    + "' cannot be checked here");
        }
    }

    /** Runs a shell script in the shared sandbox. */
    protected final ExecResult sh(String script) {
        return sandbox().exec(Command.shell(script));
    }

    /** Asserts a command succeeded, showing its output when it did not. */
    protected static ExecResult assertSucceeded(ExecResult r) {
        assertThat(r.succeeded()).as("expected exit 0 and no timeout: %s%nstdout: %s%nstderr: %s", r, r.stdout(), r.stderr())
                .isTrue();
        return r;
    }

    /** A short unique token for file names and markers. */
    protected static String unique() {
        return UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    }

    /** The base policy's file-system part, as an isolated view (no tmpfs when the base had none). */
    protected final FilesystemPolicy isolatedFilesystem() {
        FilesystemPolicy fs = basePolicy().filesystem();
        return fs.isolated() ? fs : new FilesystemPolicy(true, List.of(), List.of(), List.of());
    }
}
