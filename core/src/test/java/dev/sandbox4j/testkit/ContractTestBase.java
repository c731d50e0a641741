package dev.sandbox4j.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandbox4j.BackendInfo;
import dev.sandbox4j.Command;
import dev.sandbox4j.ExecResult;
import dev.sandbox4j.FilesystemPolicy;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.ProcessPolicy;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.SandboxBuilder;
import dev.sandbox4j.UnsupportedPolicyException;
import dev.sandbox4j.spi.Capability;
import dev.sandbox4j.spi.IsolationLevel;
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

    /**
     * The policy parts that {@link IsolationPolicy#strict()} needs a capability for. Not RUN_AS_UID: strict
     * names no uid (the sandbox's own user, which every isolating backend provides); not DISK_LIMIT: see
     * {@link #policy()}.
     */
    private static final Set<Capability> STRICT_NEEDS = EnumSet.of(Capability.FILESYSTEM_VIEW, Capability.TMPFS,
            Capability.NETWORK_NONE, Capability.MEMORY_LIMIT, Capability.CPU_LIMIT, Capability.PIDS_LIMIT,
            Capability.FILE_SIZE_LIMIT, Capability.OPEN_FILES_LIMIT, Capability.SYSCALL_FILTER,
            Capability.PID_ISOLATION, Capability.NO_NEW_PRIVILEGES, Capability.DROP_CAPABILITIES);

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
     *
     * <p>One exception, printed to the test output when it applies: strict's {@code limits.disk} (1g) is
     * left out when the backend does not claim DISK_LIMIT (a backend that does not claim it is checked to
     * refuse it, and the disk rules set a limit of their own). With a JVM that is not root the class's gate
     * also leaves it out when {@code build()} refuses it there (engines cannot reach an unprivileged JVM's
     * storage, which lives in a namespace of the library's own): see {@link #basePolicy()}.
     */
    protected IsolationPolicy policy() {
        Set<Capability> missing = EnumSet.copyOf(STRICT_NEEDS);
        missing.removeAll(capabilities());
        if (missing.isEmpty()) {
            return withoutUnenforceableDisk(IsolationPolicy.strict(), capabilities(), backendName());
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
     * No DISK_LIMIT: no {@code limits.disk}. (With a JVM that is not root, the class's gate may leave the disk
     * limit out too, visibly: see {@link #basePolicy()}.)
     */
    protected static IsolationPolicy strongestPolicyFor(Set<Capability> claimed) {
        return withoutUnenforceableDisk(IsolationPolicy.strongestFor(claimed), claimed, "strongestPolicyFor");
    }

    /**
     * {@code policy} without its disk limit when {@code claimed} lacks DISK_LIMIT, saying so on the test
     * output; else {@code policy} itself.
     */
    static IsolationPolicy withoutUnenforceableDisk(IsolationPolicy policy, Set<Capability> claimed, String who) {
        if (policy.limits().disk().isEmpty() || claimed.contains(Capability.DISK_LIMIT)) {
            return policy;
        }
        System.out.println("[contract] " + who + ": the base policy leaves out limits.disk=" + policy.limits().disk().get()
                + ": DISK_LIMIT is not claimed");
        return policy.toBuilder().limits(l -> l.noDiskLimit()).build();
    }

    /**
     * With a JVM that is not root, a backend may refuse {@code limits.disk} at {@code build()} although it
     * claims DISK_LIMIT (the unprivileged storage lives in a user and mount namespace of the library's own,
     * which an engine cannot reach): then {@code policy} without it, said on the test output. A trial sandbox
     * is built to find out, and closed. Root JVMs, and policies without a disk limit, are returned as given.
     */
    private IsolationPolicy withoutDiskRefusedByThisJvm(IsolationPolicy policy) {
        if (policy.limits().disk().isEmpty() || HostProbes.jvmIsRoot()) {
            return policy;
        }
        try (Sandbox trial = configure(Sandbox.builder().backend(backendName()).policy(policy)).build()) {
            return policy;
        } catch (UnsupportedPolicyException e) {
            if (e.parts().stream().noneMatch(p -> p.capability().equals(Capability.DISK_LIMIT.name()))) {
                throw e;
            }
            System.out.println("[contract] " + backendName() + ": the base policy leaves out limits.disk="
                    + policy.limits().disk().get() + ": this JVM runs as uid " + HostProbes.jvmUid() + " and build() refuses"
                    + " the limit here: " + e.getMessage());
            return policy.toBuilder().limits(l -> l.noDiskLimit()).build();
        }
    }

    @BeforeAll
    final void gateOnAvailability() {
        info = BackendRequirement.assumeAvailable(backendName());
        basePolicy = withoutDiskRefusedByThisJvm(policy());
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

    /**
     * {@link #policy()}, computed once per class; with a JVM that is not root, without {@code limits.disk} when
     * {@code build()} refuses it there (printed on the test output).
     */
    protected final IsolationPolicy basePolicy() {
        if (basePolicy == null) {
            basePolicy = withoutDiskRefusedByThisJvm(policy());
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

    /**
     * Aborts the test, naming the rule, for a backend of isolation level NONE ({@code none}): its commands
     * are plain host processes of the JVM's user, which claim to stop nothing.
     */
    protected final void requiresIsolation(String rule) {
        if (info().isolation() == IsolationLevel.NONE) {
            Assumptions.abort(backendName() + " does not isolate (isolation level NONE): the rule '" + rule
                    + "' is not claimed by it");
        }
    }

    /**
     * {@link #basePolicy()} without {@code limits.disk}, for a sandbox with a caller's workspace or a
     * read-write mount: the core refuses those together with a disk limit (only storage the library makes can
     * be bounded).
     */
    protected final IsolationPolicy basePolicyForHostDirs() {
        return basePolicy().toBuilder().limits(l -> l.noDiskLimit()).build();
    }

    /** The base policy's process part with {@code isolatePids} set as given. */
    protected final ProcessPolicy processWithPids(boolean isolatePids) {
        ProcessPolicy p = basePolicy().process();
        return new ProcessPolicy(isolatePids, p.uid(), p.noNewPrivileges(), p.dropCapabilities(), p.keepCapabilities());
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
