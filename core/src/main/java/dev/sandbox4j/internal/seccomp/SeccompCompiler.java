package dev.sandbox4j.internal.seccomp;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import dev.sandbox4j.SandboxStartException;
import dev.sandbox4j.internal.host.Errno;
import dev.sandbox4j.internal.host.LibC;
import dev.sandbox4j.spi.Availability;
import dev.sandbox4j.spi.SeccompProgram;
import dev.sandbox4j.spi.SyscallRule;
import dev.sandbox4j.spi.SyscallTable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Compiles {@link SyscallRule}s into a default-allow seccomp program with libseccomp.
 *
 * <p><b>ABIs.</b> An x86_64 process can also enter the kernel through the i386 ABI ({@code int 0x80})
 * and the x32 ABI (numbers with bit 30 set), where every call has another number. For
 * {@link SeccompProgram.Target#HOST} the program carries the same rules for x86 and x32 (and for 32-bit
 * ARM on aarch64), so 32-bit programs keep working under the same rules; libseccomp's bad-architecture
 * action is KILL_PROCESS, so a call through an ABI the program does not list kills the caller instead of
 * passing unchecked. {@link SeccompProgram.Target#X86_64} lists x86_64 alone.
 *
 * <p>Thread-safe: every compilation makes and releases its own libseccomp context; results are cached.
 */
public final class SeccompCompiler {
    private record Key(List<SyscallRule> rules, SeccompProgram.Target target) {
    }

    private static final Map<Key, SeccompProgram> CACHE = new ConcurrentHashMap<>();
    private static final int CACHE_MAX = 64;

    private SeccompCompiler() {
    }

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

    public static SeccompProgram compile(List<SyscallRule> rules, SeccompProgram.Target target) {
        Key key = new Key(List.copyOf(rules), target);
        SeccompProgram cached = CACHE.get(key);
        if (cached != null) {
            return cached;
        }
        SeccompProgram p = compileNow(key.rules(), target);
        if (CACHE.size() < CACHE_MAX) {
            CACHE.put(key, p);
        }
        return p;
    }

    private static SeccompProgram compileNow(List<SyscallRule> rules, SeccompProgram.Target target) {
        LibSeccomp lib = library();
        Pointer ctx = lib.seccomp_init(LibSeccomp.SCMP_ACT_ALLOW);
        if (ctx == null) {
            throw new SandboxStartException("seccomp_init(SCMP_ACT_ALLOW) failed: " + Errno.last()
                    + "; libseccomp could not allocate a filter context");
        }
        try {
            check(lib.seccomp_attr_set(ctx, LibSeccomp.SCMP_FLTATR_ACT_BADARCH, LibSeccomp.SCMP_ACT_KILL_PROCESS),
                    "seccomp_attr_set(SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS)");
            List<Integer> arches = arches(lib, ctx, target);
            List<String> enforced = new ArrayList<>();
            Set<String> skipped = new LinkedHashSet<>();
            for (SyscallRule r : rules) {
                if (r.verdict() == SyscallRule.Verdict.ALLOW) {
                    continue;
                }
                // resolved on the target ABI: libseccomp translates the number for the other ABIs itself
                int nr = lib.seccomp_syscall_resolve_name_arch(arches.get(0), r.name());
                if (nr == LibSeccomp.NR_SCMP_ERROR) {
                    if (SyscallTable.hostProtecting(r)) {
                        // the kernel may well have the call: a filter without this rule would let it through
                        throw new SandboxStartException("libseccomp " + probe().reason() + " does not know the system"
                                + " call " + r.name() + ", which the rule '" + r + "' must stop; install a newer"
                                + " libseccomp (2.5.5 or later knows every call of the table)");
                    }
                    skipped.add(r.name());
                    continue;
                }
                int action = r.verdict() == SyscallRule.Verdict.KILL_PROCESS ? LibSeccomp.SCMP_ACT_KILL_PROCESS
                        : LibSeccomp.SCMP_ACT_ERRNO(r.errno());
                try (Memory cmp = r.when().isEmpty() ? null : comparisons(r.when())) {
                    check(lib.seccomp_rule_add_array(ctx, action, nr, r.when().size(), cmp), "seccomp_rule_add(" + r + ")");
                }
                enforced.add(r.toString());
            }
            return new SeccompProgram(export(lib, ctx), enforced, List.copyOf(skipped),
                    arches.stream().map(SeccompCompiler::archName).toList());
        } finally {
            lib.seccomp_release(ctx);
        }
    }

    private static Memory comparisons(List<SyscallRule.ArgTest> tests) {
        Memory m = new Memory((long) LibSeccomp.SCMP_ARG_CMP_SIZE * tests.size());
        m.clear();
        for (int i = 0; i < tests.size(); i++) {
            SyscallRule.ArgTest t = tests.get(i);
            long at = (long) LibSeccomp.SCMP_ARG_CMP_SIZE * i;
            m.setInt(at, t.index());
            switch (t.op()) {
                case MASKED_EQ -> {
                    m.setInt(at + 4, LibSeccomp.SCMP_CMP_MASKED_EQ);
                    m.setLong(at + 8, t.mask());
                    m.setLong(at + 16, t.value());
                }
                case EQ -> {
                    m.setInt(at + 4, LibSeccomp.SCMP_CMP_EQ);
                    m.setLong(at + 8, t.value());
                }
                case NE -> {
                    m.setInt(at + 4, LibSeccomp.SCMP_CMP_NE);
                    m.setLong(at + 8, t.value());
                }
            }
        }
        return m;
    }

    /** The target's ABIs in the context, the target first. */
    private static List<Integer> arches(LibSeccomp lib, Pointer ctx, SeccompProgram.Target target) {
        int nativeArch = lib.seccomp_arch_native();
        if (target == SeccompProgram.Target.X86_64) {
            if (nativeArch != LibSeccomp.SCMP_ARCH_X86_64) {
                check(lib.seccomp_arch_add(ctx, LibSeccomp.SCMP_ARCH_X86_64), "seccomp_arch_add(x86_64)");
                check(lib.seccomp_arch_remove(ctx, nativeArch), "seccomp_arch_remove(" + archName(nativeArch) + ")");
            }
            return List.of(LibSeccomp.SCMP_ARCH_X86_64);
        }
        List<Integer> arches = new ArrayList<>(List.of(nativeArch));
        int[] compat = switch (nativeArch) {
            case LibSeccomp.SCMP_ARCH_X86_64 -> new int[] {LibSeccomp.SCMP_ARCH_X86, LibSeccomp.SCMP_ARCH_X32};
            case LibSeccomp.SCMP_ARCH_AARCH64 -> new int[] {LibSeccomp.SCMP_ARCH_ARM};
            default -> new int[0];
        };
        for (int arch : compat) {
            int rc = lib.seccomp_arch_add(ctx, arch);
            if (rc == 0 || rc == -Errno.EEXIST) {
                arches.add(arch);
            }
            // otherwise not fatal: an ABI missing from the program hits the bad-arch action (KILL_PROCESS)
        }
        return arches;
    }

    private static byte[] export(LibSeccomp lib, Pointer ctx) {
        int fd = LibC.INSTANCE.memfd_create("sandbox4j-seccomp", LibC.MFD_CLOEXEC);
        if (fd < 0) {
            throw new SandboxStartException("memfd_create(sandbox4j-seccomp) failed: " + Errno.last()
                    + "; needed to read the seccomp program back from libseccomp");
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
            throw new SandboxStartException("reading the seccomp program back from memfd " + fd + " failed: " + e, e);
        } finally {
            LibC.INSTANCE.close(fd);
        }
    }

    private static LibSeccomp library() {
        try {
            return LibSeccomp.Holder.INSTANCE;
        } catch (LinkageError e) {
            throw new SandboxStartException("libseccomp (" + LibSeccomp.SONAME + ") cannot be loaded, so the"
                    + " sandbox's system-call filter cannot be built: " + e.getMessage()
                    + "; install it (apt-get install libseccomp2)", e);
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
