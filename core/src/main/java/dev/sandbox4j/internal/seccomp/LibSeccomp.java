package dev.sandbox4j.internal.seccomp;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

/**
 * The part of libseccomp (seccomp.h, 2.4+) that {@link SeccompCompiler} uses, C names verbatim. Functions
 * returning {@code int} return 0 or a negative errno. {@code seccomp_rule_add} is variadic; calling a
 * variadic C function through a fixed signature is undefined on some ABIs, so this layer uses its array
 * twin {@code seccomp_rule_add_array} instead.
 */
interface LibSeccomp extends Library {
    int SCMP_ACT_KILL_PROCESS = 0x80000000;
    int SCMP_ACT_ALLOW = 0x7fff0000;
    int SCMP_ACT_ERRNO_BASE = 0x00050000;

    /** enum scmp_filter_attr. */
    int SCMP_FLTATR_ACT_BADARCH = 2;

    /** Audit architecture tokens (linux/audit.h), as libseccomp's SCMP_ARCH_* constants. */
    int SCMP_ARCH_X86 = 0x40000003;
    int SCMP_ARCH_X86_64 = 0xc000003e;
    int SCMP_ARCH_X32 = 0x4000003e;
    int SCMP_ARCH_ARM = 0x40000028;
    int SCMP_ARCH_AARCH64 = 0xc00000b7;

    /** enum scmp_compare. */
    int SCMP_CMP_NE = 1;
    int SCMP_CMP_EQ = 4;
    int SCMP_CMP_MASKED_EQ = 7;

    /** The "no such system call" result of seccomp_syscall_resolve_name. */
    int NR_SCMP_ERROR = -1;

    /** sizeof(struct scmp_arg_cmp): unsigned arg, enum op, uint64 datum_a, uint64 datum_b. */
    int SCMP_ARG_CMP_SIZE = 24;

    Pointer seccomp_init(int def_action);

    void seccomp_release(Pointer ctx);

    int seccomp_arch_native();

    int seccomp_arch_add(Pointer ctx, int arch_token);

    int seccomp_arch_remove(Pointer ctx, int arch_token);

    int seccomp_attr_set(Pointer ctx, int attr, int value);

    int seccomp_syscall_resolve_name_arch(int arch_token, String name);

    int seccomp_rule_add_array(Pointer ctx, int action, int syscall, int arg_cnt, Pointer arg_array);

    int seccomp_export_bpf(Pointer ctx, int fd);

    /** const struct scmp_version { unsigned major, minor, micro; } *. */
    Pointer seccomp_version();

    /** The SCMP_ACT_ERRNO(x) macro. */
    static int SCMP_ACT_ERRNO(int errno) {
        return SCMP_ACT_ERRNO_BASE | (errno & 0xffff);
    }

    /** The ABI this layer is written against; distributions ship it without the unversioned dev link. */
    String SONAME = "libseccomp.so.2";

    /** Holder so that a missing libseccomp.so.2 surfaces where it is first needed, as a LinkageError. */
    final class Holder {
        static final LibSeccomp INSTANCE = Native.load(SONAME, LibSeccomp.class);

        private Holder() {
        }
    }
}
