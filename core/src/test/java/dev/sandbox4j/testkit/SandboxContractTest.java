package dev.sandbox4j.testkit;

/**
 * The contract every backend must honour, as one abstract JUnit 5 test class: exec and exit codes,
 * stdin, streaming, output caps and floods, timeouts that kill whole trees, the files API and its escape
 * refusals, environment and file-descriptor hygiene, nothing left after {@code close()}, concurrent use,
 * fail-closed policies, bad input, and the escape attempts of every capability the backend claims
 * (host files, read-only mounts, host processes, the host's loopback, denied system calls, fork and
 * memory bombs, background processes that outlive their exec until close, file-size and open-file
 * limits, uid, no-new-privileges, dropped capabilities). Each rule
 * asserts how the attempt failed (the errno text, the exit status, the signal).
 *
 * <h2>How a backend uses it</h2>
 * Depend on the core's test-jar ({@code sandbox4j-core}, {@code <type>test-jar</type>}, scope test) plus
 * {@code junit-jupiter} and {@code assertj-core} (scope test: the test-jar does not bring them), and
 * extend this class:
 * <pre>{@code
 * class BubblewrapContractTest extends SandboxContractTest {
 *     protected String backendName() { return "bubblewrap"; }
 *
 *     // optional: the policy every sandbox of the kit starts from (default: strict, when claimable)
 *     protected IsolationPolicy policy() { return strongestPolicyFor(capabilities()); }
 *
 *     // optional: an image or backend options
 *     protected SandboxBuilder configure(SandboxBuilder b) { return b.image(SandboxImage.oci("alpine:3.20")); }
 * }
 * }</pre>
 *
 * <ul>
 *   <li>When the backend is missing or its {@code probe()} says unavailable, every rule is skipped with
 *       the probe's reason and fix. CI sets {@code SANDBOX4J_REQUIRE=bubblewrap,docker} (or {@code all})
 *       and then that skip is a failure ({@link BackendRequirement}; reuse it in a module's own tests).</li>
 *   <li>A rule that checks a capability runs only when the backend claims it (see
 *       {@link #capabilities()}); otherwise it is skipped as "not claimed by &lt;backend&gt;: &lt;CAP&gt;". It
 *       switches the matching policy part on in a copy of {@link #policy()}, so it tests the claim even
 *       when the base policy is relaxed.</li>
 *   <li>A rule whose tool is missing from the image (setsid, unshare, bash/python3/nc, /proc) is skipped
 *       with that reason, never passed.</li>
 *   <li>Rules that look at host processes read other processes' {@code /proc/<pid>/environ}: run the
 *       tests as root or as the user the backend's processes run as.</li>
 * </ul>
 *
 * <h2>The attack suite</h2>
 * The escape classes of the security model, each in several variants, each asserting how the attempt
 * failed: {@link SyscallAttackContract} (clone with each CLONE_NEW* flag, clone3, unshare, setns, io_uring,
 * AF_VSOCK, through every system-call ABI the kernel has), {@link SetIdAttackContract} (no set-id file
 * reaches the host: every call and shell tool, the core's sweep), {@link MountSourceAttackContract}
 * (mount sources replaced by symbolic links), {@link HostUidAttackContract} (the sandbox's own host uid:
 * kill -9 -1, /proc/PID/root from other uids) and {@link LoadAttackContract} (disk limit, timeouts under a
 * fork bomb and a memory hog, the temp workspace, host descriptors and environment). The system-call
 * attempts are made by a static C helper that the kit compiles on the host ({@link AttackHelper}: gcc and a
 * static libc needed, else those rules are skipped with the reason). Run the suite as root and as a
 * non-root user: with a root JVM each sandbox has a host uid of its own, with a non-root JVM its sandboxes
 * share the JVM's uid (the rules assert that then, visibly) and the core refuses {@code limits.disk}.
 *
 * <p>The rules live in a chain of abstract classes, one concern each: {@link ExecContract},
 * {@link FilesContract}, {@link FileDetailsContract}, {@link HygieneContract}, {@link EscapeContract}, {@link LimitsContract},
 * {@link PolicyContract}, then the attack suite above, then {@link BackgroundContract} (background processes
 * outlive their exec, reach the next one and die at close; a timeout kills only its own exec's tree), then
 * {@link LayoutContract} (the root layout one policy gives on every backend: /home, /root, /tmp, /var/tmp, and
 * never the host's /root or /home); helpers in {@link ContractCommands},
 * {@link HostProbes} and {@link AttackHelper}. One test instance per class; rules run one at a time.
 */
public abstract class SandboxContractTest extends LayoutContract {
}
