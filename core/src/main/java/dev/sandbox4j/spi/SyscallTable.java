package dev.sandbox4j.spi;

import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.NetworkPolicy;
import dev.sandbox4j.SyscallPolicy;
import dev.sandbox4j.spi.SyscallRule.ArgTest;
import dev.sandbox4j.spi.SyscallRule.Verdict;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The one system-call table of sandbox4j. Every filter a backend installs (the Linux backends' seccomp
 * program, the engines' OCI profiles, the guest agent's program) is generated from {@link #forSandbox}, so
 * that they cannot drift apart. Three parts:
 * <ol>
 *   <li><b>the policy's</b> ({@link #policyRules}): each denied name fails with EPERM or kills the process,
 *       as {@link SyscallPolicy#action()} says; when the policy denies {@code unshare}, a {@code clone} with
 *       any CLONE_NEW* flag gets the same (else clone would walk around the denied unshare), and
 *       {@code clone3}, whose flags lie in memory that no filter can read, fails with ENOSYS so that the C
 *       library falls back to {@code clone};</li>
 *   <li><b>the set-id guard</b> ({@link #setIdGuard}), in every sandbox whatever its policy: no call may
 *       set S_ISUID or S_ISGID on a file (chmod, creating opens, mknod families, of every ABI), so that no
 *       set-id file made inside ever reaches the host; {@code openat2}, whose mode lies in memory, fails with
 *       ENOSYS (the C library falls back to {@code openat}), as do the io_uring calls, whose queued opens no
 *       filter sees;</li>
 *   <li><b>the network's</b> ({@link #networkRules}): under {@code none} and {@code loopback}, AF_VSOCK
 *       sockets fail with EPERM: vsock is not scoped by network namespaces and reaches the hypervisor's
 *       services on a VM host; and the i386 ABI's {@code socketcall(SYS_SOCKET, ...)}, whose address family
 *       lies in memory, fails with EPERM (C libraries call socket directly on kernels since 4.3).</li>
 * </ol>
 * A name with an unconditional rule keeps only its first unconditional rule (the policy's come first).
 * Argument values are those of Linux's generic ABI (x86_64 and aarch64 agree on every one used here).
 * Stateless and thread-safe.
 */
public final class SyscallTable {
    /** EPERM. */
    public static final int EPERM = 1;
    /** ENOSYS: "not implemented", which makes the C library fall back to an older call. */
    public static final int ENOSYS = 38;
    /** S_ISUID and S_ISGID. */
    public static final long S_ISUID = 04000;
    public static final long S_ISGID = 02000;
    /** O_CREAT and __O_TMPFILE: the open flags under which the mode argument counts. */
    public static final long O_CREAT = 0100;
    public static final long O_TMPFILE_BIT = 020000000;
    /** AF_VSOCK from linux/socket.h. */
    public static final long AF_VSOCK = 40;
    /** SYS_SOCKET, socketcall's first argument for socket(2) (linux/net.h). */
    public static final long SYS_SOCKET = 1;
    /** CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET and NEWTIME from linux/sched.h. */
    public static final List<Long> CLONE_NAMESPACE_FLAGS = List.of(0x00020000L, 0x02000000L, 0x04000000L,
            0x08000000L, 0x10000000L, 0x20000000L, 0x40000000L, 0x00000080L);
    /** The io_uring calls. */
    public static final List<String> IO_URING = List.of("io_uring_setup", "io_uring_enter", "io_uring_register");

    private static final String GUARD = "set-id guard: no set-id file may reach the host";
    private static final String POLICY = "denied by the policy";
    private static final String POLICY_CLONE = "a new namespace";

    private SyscallTable() {
    }

    /** Every rule a sandbox with {@code policy} gets: the policy's (when it filters), the set-id guard, the network's. */
    public static List<SyscallRule> forSandbox(IsolationPolicy policy) {
        List<SyscallRule> all = new ArrayList<>();
        if (policy.syscalls().filters()) {
            all.addAll(policyRules(policy.syscalls()));
        }
        all.addAll(setIdGuard());
        all.addAll(networkRules(policy.network().mode()));
        return normalize(all);
    }

    /** The policy's denied names, and the namespace-creating clones when it denies unshare. */
    public static List<SyscallRule> policyRules(SyscallPolicy policy) {
        Verdict v = policy.action() == SyscallPolicy.Action.KILL ? Verdict.KILL_PROCESS : Verdict.ERRNO;
        int errno = v == Verdict.ERRNO ? EPERM : 0;
        List<SyscallRule> out = new ArrayList<>();
        for (String name : policy.denied()) {
            out.add(new SyscallRule(name, List.of(), v, errno, POLICY));
        }
        if (policy.denied().contains("unshare")) {
            long all = 0;
            for (long flag : CLONE_NAMESPACE_FLAGS) {
                out.add(new SyscallRule("clone", List.of(ArgTest.bitsSet(0, flag)), v, errno,
                        POLICY_CLONE + " through clone (the policy denies unshare)"));
                all |= flag;
            }
            out.add(new SyscallRule("clone", List.of(ArgTest.bitsClear(0, all)), Verdict.ALLOW, 0,
                    POLICY_CLONE + ": none in this clone"));
            out.add(new SyscallRule("clone3", List.of(), Verdict.ERRNO, ENOSYS, POLICY_CLONE + " through clone3, whose"
                    + " flags are in memory no filter reads: ENOSYS, so the C library falls back to clone"));
        }
        return out;
    }

    /** The set-id guard: see the class comment. */
    public static List<SyscallRule> setIdGuard() {
        List<SyscallRule> out = new ArrayList<>();
        // {name, index of the mode argument}
        Object[][] modeCalls = {{"chmod", 1}, {"fchmod", 1}, {"fchmodat", 2}, {"fchmodat2", 2}, {"creat", 1},
            {"mknod", 1}, {"mknodat", 2}};
        for (Object[] c : modeCalls) {
            String name = (String) c[0];
            int mode = (Integer) c[1];
            out.add(new SyscallRule(name, List.of(ArgTest.bitsSet(mode, S_ISUID)), Verdict.ERRNO, EPERM, GUARD));
            out.add(new SyscallRule(name, List.of(ArgTest.bitsSet(mode, S_ISGID)), Verdict.ERRNO, EPERM, GUARD));
            out.add(new SyscallRule(name, List.of(ArgTest.bitsClear(mode, S_ISUID | S_ISGID)), Verdict.ALLOW, 0,
                    "no set-id bit in the mode"));
        }
        // {name, index of the flags argument, index of the mode argument}
        int[][] opens = {{1, 2}, {2, 3}};
        String[] openNames = {"open", "openat"};
        for (int i = 0; i < openNames.length; i++) {
            int flags = opens[i][0];
            int mode = opens[i][1];
            for (long create : new long[] {O_CREAT, O_TMPFILE_BIT}) {
                for (long bit : new long[] {S_ISUID, S_ISGID}) {
                    out.add(new SyscallRule(openNames[i], List.of(ArgTest.bitsSet(flags, create), ArgTest.bitsSet(mode, bit)),
                            Verdict.ERRNO, EPERM, GUARD));
                }
            }
            out.add(new SyscallRule(openNames[i], List.of(ArgTest.bitsClear(flags, O_CREAT | O_TMPFILE_BIT)), Verdict.ALLOW,
                    0, "an open that creates nothing"));
            out.add(new SyscallRule(openNames[i], List.of(ArgTest.bitsClear(mode, S_ISUID | S_ISGID)), Verdict.ALLOW, 0,
                    "no set-id bit in the mode"));
        }
        out.add(new SyscallRule("openat2", List.of(), Verdict.ERRNO, ENOSYS,
                "openat2's mode is in memory no filter reads: ENOSYS, so the C library falls back to openat"));
        for (String name : IO_URING) {
            out.add(new SyscallRule(name, List.of(), Verdict.ERRNO, ENOSYS,
                    "io_uring's queued operations (opens with a mode among them) pass no filter"));
        }
        return out;
    }

    /** Under {@code none} and {@code loopback}: no AF_VSOCK socket. */
    public static List<SyscallRule> networkRules(NetworkPolicy.Mode mode) {
        if (mode == NetworkPolicy.Mode.HOST) {
            return List.of();
        }
        String net = "network " + mode.name().toLowerCase(java.util.Locale.ROOT);
        List<SyscallRule> out = new ArrayList<>();
        // socket(2)'s family and socketcall(2)'s call are ints: a test on 64 bits would let 0x1_0000_0028 through
        out.add(new SyscallRule("socket", List.of(int32Equals(0, AF_VSOCK)), Verdict.ERRNO, EPERM,
                "AF_VSOCK is not scoped by network namespaces (" + net + ")"));
        for (ArgTest differs : int32Differs(0, AF_VSOCK)) {
            out.add(new SyscallRule("socket", List.of(differs), Verdict.ALLOW, 0, "any other address family"));
        }
        out.add(new SyscallRule("socketcall", List.of(int32Equals(0, SYS_SOCKET)), Verdict.ERRNO, EPERM,
                "socketcall's address family is in memory no filter reads, and could be AF_VSOCK (" + net + ")"));
        for (ArgTest differs : int32Differs(0, SYS_SOCKET)) {
            out.add(new SyscallRule("socketcall", List.of(differs), Verdict.ALLOW, 0, "socketcall's other calls"));
        }
        return out;
    }

    /** An int argument (the low 32 bits, which the kernel reads) equal to {@code value}. */
    static ArgTest int32Equals(int index, long value) {
        return new ArgTest(index, SyscallRule.Op.MASKED_EQ, 0xffffffffL, value);
    }

    /**
     * An int argument that differs from {@code value}, as 32 tests of which at least one holds (a bit that
     * differs): filters have no masked "not equal", and a 64-bit one would miss garbage in the high bits.
     */
    static List<ArgTest> int32Differs(int index, long value) {
        List<ArgTest> out = new ArrayList<>();
        for (int b = 0; b < 32; b++) {
            long bit = 1L << b;
            out.add(new ArgTest(index, SyscallRule.Op.MASKED_EQ, bit, ~value & bit));
        }
        return out;
    }

    /**
     * Whether {@code rule} protects the host whatever the policy says (the set-id guard and the network's
     * rules), so that a filter that cannot enforce it must not be built: a compiler that does not know its
     * name refuses instead of skipping it, as it may for the policy's own names.
     */
    public static boolean hostProtecting(SyscallRule rule) {
        return !rule.reason().equals(POLICY) && !rule.reason().startsWith(POLICY_CLONE);
    }

    /**
     * Keeps, for a name with an unconditional rule, only its first unconditional rule: a conditional rule or
     * a second verdict for the same call would contradict it (and libseccomp refuses such a pair).
     */
    static List<SyscallRule> normalize(List<SyscallRule> rules) {
        Map<String, SyscallRule> unconditional = new LinkedHashMap<>();
        for (SyscallRule r : rules) {
            if (r.unconditional()) {
                unconditional.putIfAbsent(r.name(), r);
            }
        }
        List<SyscallRule> out = new ArrayList<>();
        Set<String> emitted = new HashSet<>();
        for (SyscallRule r : rules) {
            SyscallRule u = unconditional.get(r.name());
            if (u == null) {
                out.add(r);
            } else if (emitted.add(r.name())) {
                out.add(u);
            }
        }
        return out;
    }
}
