package dev.sandbox4j.container;

import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.SandboxBuilder;
import dev.sandbox4j.testkit.SandboxContractTest;

/**
 * The core contract kit against {@code gvisor}: strict() less what gVisor does not claim (pids limit,
 * no-new-privileges and dropped capabilities; see {@link GvisorBackend}), on the tests' busybox image: the
 * host's GNU ls cannot list /proc/self under this gVisor (statx gives EINVAL), busybox's can (the probe
 * warns of it: {@link dev.sandbox4j.container.internal.runsc.StatxCheck}, {@link GvisorStatxWarningTest}).
 *
 * <p>No capabilities and no-new-privileges are applied to every gVisor sandbox but not claimed (the kit
 * reads the NoNewPrivs and CapAmb lines of /proc/self/status, which gVisor's /proc does not print);
 * {@link GvisorBackendTest} proves them through prctl/capget with {@code setpriv --dump}.
 */
class GvisorContractTest extends SandboxContractTest {
    @Override
    protected String backendName() {
        return "gvisor";
    }

    @Override
    protected IsolationPolicy policy() {
        return strongestPolicyFor(capabilities());
    }

    @Override
    protected SandboxBuilder configure(SandboxBuilder builder) {
        return builder.image(TestImages.busyboxImage());
    }
}
