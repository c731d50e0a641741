package dev.sandbox4j.container;

import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.SandboxBuilder;
import dev.sandbox4j.testkit.SandboxContractTest;

/**
 * The core contract kit against {@code gvisor-runsc} (runsc without an engine): strict() less the pids
 * limit, which it does not claim (see {@link GvisorRunscBackend}), on the tests' busybox root file system
 * ({@link SandboxImage#rootfs}, unpacked into the bundle): the host's GNU ls cannot list /proc/self/fd
 * under this gVisor (statx gives EINVAL), busybox's can (the probe warns of it: {@link GvisorStatxWarningTest}). {@link GvisorRunscBackendTest} runs on the
 * host image. The NO_NEW_PRIVILEGES and DROP_CAPABILITIES rules read gVisor's no_new_privs and ambient set
 * through busybox's {@code setpriv --dump}, since gVisor's /proc/self/status lacks the NoNewPrivs and
 * CapAmb lines.
 */
class GvisorRunscContractTest extends SandboxContractTest {
    @Override
    protected String backendName() {
        return "gvisor-runsc";
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
