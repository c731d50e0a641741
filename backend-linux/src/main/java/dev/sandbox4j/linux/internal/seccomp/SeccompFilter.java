package dev.sandbox4j.linux.internal.seccomp;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import dev.sandbox4j.SandboxStartException;
import dev.sandbox4j.SyscallPolicy;
import dev.sandbox4j.linux.internal.sys.Errno;
import dev.sandbox4j.linux.internal.sys.LibC;
import dev.sandbox4j.spi.Availability;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Compiles a {@link SyscallPolicy} into a classic-BPF seccomp program with libseccomp, so that the
 * per-architecture system-call numbers come from libseccomp and not from a table of ours.
 *
 * <p>The filter allows every call by default; each denied name that libseccomp knows on this machine
 * fails with EPERM ({@link SyscallPolicy.Action#ERRNO}) or kills the process
 * ({@link SyscallPolicy.Action#KILL}); a name it does not know on this architecture is skipped and logged.
 *
 * <p><b>Other ABIs.</b> An x86_64 process can still enter the kernel through the i386 ABI
 * ({@code int 0x80}) and the x32 ABI (numbers with bit 30 set), where every call has another number. The
 * filter therefore carries the same rules for x86 and x32 (and for 32-bit ARM on aarch64), so 32-bit
 * programs keep working under the same deny list, and libseccomp's bad-architecture action is set to
 * KILL_PROCESS, so a call through any ABI the filter does not list kills the caller instead of passing
 * unchecked. Neither path can bypass the list.
 *
 * <p><b>Namespaces.</b> When the policy denies {@code unshare}, namespace creation through {@code clone}
 * is denied too (a clone with any CLONE_NEW* flag gets the policy's action) and {@code clone3}, whose flags
 * live in memory a filter cannot read, fails with ENOSYS so that the C library falls back to {@code clone}
 * (what Docker's default profile does); otherwise {@code clone(CLONE_NEWUSER)} would walk around the
 * denied {@code unshare}.
 *
 * <p>Thread-safe: every call makes and releases its own libseccomp context.
 */
public final class SeccompFilter {
    private static final System.Logger LOG = System.getLogger(SeccompFilter.class.getName());

    /** CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET and NEWTIME from linux/sched.h. */
    static final long[] CLONE_NAMESPACE_FLAGS = {
        0x00020000L, 0x02000000L, 0x04000000L, 0x08000000L, 0x10000000L, 0x20000000L, 0x40000000L, 0x00000080L};

    /**
     * What a compilation produced.
     *
     * @param bpf      the program: an array of {@code struct sock_filter} (8 bytes each), as {@code bwrap --seccomp} reads it
     * @param enforced denied names that libseccomp resolved here, in policy order
     * @param skipped  denied names unknown on this architecture (logged)
     * @param arches   the ABIs the filter covers, native first
     */
    public record Compiled(byte[] bpf, List<String> enforced, List<String> skipped, List<String> arches) {
        public Compiled {
            bpf = bpf.clone();
            enforced = List.copyOf(enforced);
            skipped = List.copyOf(skipped);
            arches = List.copyOf(arches);
        }

        /** A copy: the program is shared between sandboxes through the cache. */
        @Override
        public byte[] bpf() {
            return bpf.clone();
        }

        @Override
        public String toString() {
            return "seccomp BPF " + bpf.length / 8 + " instructions, arches " + arches + ", " + enforced.size()
                    + " calls denied" + (skipped.isEmpty() ? "" : ", unknown here and skipped: " + skipped);
        }
    }

    /** Compiled programs by policy: a policy is immutable, and compiling costs libseccomp a millisecond or more. */
    private static final Map<SyscallPolicy, Compiled> CACHE = new ConcurrentHashMap<>();
    private static final int CACHE_MAX = 64;

    private SeccompFilter() {
    }

    /** Available when libseccomp.so.2 loads; the detail names its version. Never throws. */
    public static Availability probe() {
        try {
            Pointer v = LibSeccomp.Holder.INSTANCE.seccomp_version();
            String version = v == null ? "unknown version" : v.getInt(0) + "." + v.getInt(4) + "." + v.getInt(8);
            return Availability.available("libseccomp " + version);
        } catch (LinkageError | RuntimeException e) {
            return Availability.unavailable("libseccomp (" + LibSeccomp.SONAME + ") cannot be loaded: " + e.getMessage(),
                    "apt-get install libseccomp2 (Debian/Ubuntu) or dnf install libseccomp (Fedora)");
        }
    }

    /**
     * The raw BPF program for {@code policy}.
     *
     * @throws SandboxStartException when libseccomp is missing or a libseccomp call fails (named, with errno)
     */
    public static byte[] compileBpf(SyscallPolicy policy) {
        return compile(policy).bpf();
    }

    /** Like {@link #compileBpf} with what was enforced and skipped, for plans and error messages. */
    public static Compiled compile(SyscallPolicy policy) {
        Compiled cached = CACHE.get(policy);
        if (cached != null) {
            return cached;
        }
        Compiled c = compileNow(policy);
        if (CACHE.size() < CACHE_MAX) {
            CACHE.put(policy, c);
        }
        return c;
    }

    private static Compiled compileNow(SyscallPolicy policy) {
        LibSeccomp lib = library();
        Pointer ctx = lib.seccomp_init(LibSeccomp.SCMP_ACT_ALLOW);
        if (ctx == null) {
            throw new SandboxStartException("seccomp_init(SCMP_ACT_ALLOW) failed: " + Errno.last()
                    + "; libseccomp could not allocate a filter context");
        }
        try {
            int action = policy.action() == SyscallPolicy.Action.KILL
                    ? LibSeccomp.SCMP_ACT_KILL_PROCESS : LibSeccomp.SCMP_ACT_ERRNO(Errno.EPERM);
            check(lib.seccomp_attr_set(ctx, LibSeccomp.SCMP_FLTATR_ACT_BADARCH, LibSeccomp.SCMP_ACT_KILL_PROCESS),
                    "seccomp_attr_set(SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS)");
            List<String> arches = addCompatArches(lib, ctx);
            List<String> enforced = new ArrayList<>();
            List<String> skipped = new ArrayList<>();
            for (String name : policy.denied()) {
                int nr = lib.seccomp_syscall_resolve_name(name);
                if (nr == LibSeccomp.NR_SCMP_ERROR) {
                    skipped.add(name);
                    continue;
                }
                check(lib.seccomp_rule_add_array(ctx, action, nr, 0, null), "seccomp_rule_add(" + name + ")");
                enforced.add(name);
            }
            if (!skipped.isEmpty()) {
                LOG.log(System.Logger.Level.INFO, "seccomp: system calls unknown on this architecture, skipped: {0}", skipped);
            }
            if (policy.denied().contains("unshare")) {
                denyNamespaceClones(lib, ctx, action);
            }
            return new Compiled(export(lib, ctx), enforced, skipped, arches);
        } finally {
            lib.seccomp_release(ctx);
        }
    }

    private static List<String> addCompatArches(LibSeccomp lib, Pointer ctx) {
        int nativeArch = lib.seccomp_arch_native();
        List<String> arches = new ArrayList<>(List.of(archName(nativeArch)));
        int[] compat = switch (nativeArch) {
            case LibSeccomp.SCMP_ARCH_X86_64 -> new int[] {LibSeccomp.SCMP_ARCH_X86, LibSeccomp.SCMP_ARCH_X32};
            case LibSeccomp.SCMP_ARCH_AARCH64 -> new int[] {LibSeccomp.SCMP_ARCH_ARM};
            default -> new int[0];
        };
        for (int arch : compat) {
            int rc = lib.seccomp_arch_add(ctx, arch);
            if (rc == 0 || rc == -Errno.EEXIST) {
                arches.add(archName(arch));
            } else {
                // not fatal: an ABI missing from the filter hits the bad-arch action (KILL_PROCESS)
                LOG.log(System.Logger.Level.WARNING, "seccomp_arch_add({0}) failed: {1}; calls through that ABI"
                        + " will kill the process", archName(arch), Errno.describe(rc));
            }
        }
        return arches;
    }

    private static void denyNamespaceClones(LibSeccomp lib, Pointer ctx, int action) {
        int clone = lib.seccomp_syscall_resolve_name("clone");
        if (clone != LibSeccomp.NR_SCMP_ERROR) {
            for (long flag : CLONE_NAMESPACE_FLAGS) {
                try (Memory cmp = new Memory(LibSeccomp.SCMP_ARG_CMP_SIZE)) {
                    cmp.clear();
                    cmp.setInt(0, 0);                                // arg 0: flags (all but s390)
                    cmp.setInt(4, LibSeccomp.SCMP_CMP_MASKED_EQ);
                    cmp.setLong(8, flag);                            // datum_a: mask
                    cmp.setLong(16, flag);                           // datum_b: value
                    check(lib.seccomp_rule_add_array(ctx, action, clone, 1, cmp),
                            "seccomp_rule_add(clone, arg0 & 0x" + Long.toHexString(flag) + ")");
                }
            }
        }
        int clone3 = lib.seccomp_syscall_resolve_name("clone3");
        if (clone3 != LibSeccomp.NR_SCMP_ERROR) {
            check(lib.seccomp_rule_add_array(ctx, LibSeccomp.SCMP_ACT_ERRNO(Errno.ENOSYS), clone3, 0, null),
                    "seccomp_rule_add(clone3 -> ENOSYS)");
        }
    }

    private static byte[] export(LibSeccomp lib, Pointer ctx) {
        int fd = LibC.INSTANCE.memfd_create("sandbox4j-seccomp", LibC.MFD_CLOEXEC);
        if (fd < 0) {
            throw new SandboxStartException("memfd_create(sandbox4j-seccomp) failed: " + Errno.last()
                    + "; needed to read the seccomp filter back from libseccomp");
        }
        try {
            check(lib.seccomp_export_bpf(ctx, fd), "seccomp_export_bpf");
            // a fresh open of /proc/self/fd/N starts at offset 0, whatever libseccomp's write left
            byte[] bpf = Files.readAllBytes(Path.of("/proc/self/fd/" + fd));
            if (bpf.length == 0 || bpf.length % 8 != 0) {
                throw new SandboxStartException("seccomp_export_bpf wrote " + bpf.length
                        + " bytes, not a whole number of 8-byte BPF instructions");
            }
            return bpf;
        } catch (IOException e) {
            throw new SandboxStartException("reading the seccomp filter back from memfd " + fd + " failed: " + e, e);
        } finally {
            if (LibC.INSTANCE.close(fd) != 0) {
                LOG.log(System.Logger.Level.WARNING, "close(memfd {0}) failed: {1}", fd, Errno.last());
            }
        }
    }

    private static LibSeccomp library() {
        try {
            return LibSeccomp.Holder.INSTANCE;
        } catch (LinkageError e) {
            throw new SandboxStartException("libseccomp (" + LibSeccomp.SONAME + ") cannot be loaded, so the"
                    + " policy's system-call filter cannot be built: " + e.getMessage()
                    + "; install it (apt-get install libseccomp2) or use SyscallPolicy.allowAll()", e);
        }
    }

    private static void check(int rc, String operation) {
        if (rc < 0) {
            throw new SandboxStartException(operation + " failed: " + Errno.describe(rc));
        }
    }

    static String archName(int token) {
        return switch (token) {
            case LibSeccomp.SCMP_ARCH_X86_64 -> "x86_64";
            case LibSeccomp.SCMP_ARCH_X86 -> "x86";
            case LibSeccomp.SCMP_ARCH_X32 -> "x32";
            case LibSeccomp.SCMP_ARCH_AARCH64 -> "aarch64";
            case LibSeccomp.SCMP_ARCH_ARM -> "arm";
            default -> "arch 0x" + Integer.toHexString(token);
        };
    }
}
