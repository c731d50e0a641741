package dev.sandbox4j.spi;

import dev.sandbox4j.InvalidInputException;
import java.util.List;

/**
 * One entry of the {@link SyscallTable}: when {@code name} is called and every test of {@code when} holds,
 * the call gets {@code verdict}. Names are the kernel's, as libseccomp spells them; each compiler resolves
 * them per ABI. Immutable and thread-safe.
 *
 * <p>{@link Verdict#ALLOW} rules exist for filters whose default refuses (an engine's allowlist profile):
 * they state the complement of the conditional denials of the same call, so that such a profile allows
 * exactly what a default-allow filter allows. A default-allow filter skips them.
 *
 * @param name    the system call
 * @param when    tests on its arguments, all of which must hold (none: always)
 * @param verdict what the call gets
 * @param errno   the error for {@link Verdict#ERRNO} (for example 1, EPERM); 0 otherwise
 * @param reason  why the rule exists, for plans, profiles and error messages
 */
public record SyscallRule(String name, List<ArgTest> when, Verdict verdict, int errno, String reason) {

    /** What a matching call gets. */
    public enum Verdict {
        /** The call runs (for default-deny profiles only). */
        ALLOW,
        /** The call fails with {@code errno}. */
        ERRNO,
        /** The whole process is killed with SIGSYS. */
        KILL_PROCESS
    }

    /** How an argument is compared. */
    public enum Op {
        /** {@code (arg & mask) == value}. */
        MASKED_EQ,
        /** {@code arg == value} ({@code mask} unused). */
        EQ,
        /** {@code arg != value} ({@code mask} unused). */
        NE
    }

    /**
     * One test on the call's argument {@code index} (0 to 5), on its full 64 bits.
     *
     * @param index which argument
     * @param op    how it is compared
     * @param mask  for {@link Op#MASKED_EQ}: the bits compared
     * @param value what they must equal (or, for {@link Op#NE}, not equal)
     */
    public record ArgTest(int index, Op op, long mask, long value) {
        public ArgTest {
            if (index < 0 || index > 5 || op == null) {
                throw new InvalidInputException("syscall rule: argument " + index + " with op " + op
                        + "; a call has arguments 0 to 5");
            }
        }

        /** {@code (arg & bits) == bits}: every one of {@code bits} is set. */
        public static ArgTest bitsSet(int index, long bits) {
            return new ArgTest(index, Op.MASKED_EQ, bits, bits);
        }

        /** {@code (arg & bits) == 0}: none of {@code bits} is set. */
        public static ArgTest bitsClear(int index, long bits) {
            return new ArgTest(index, Op.MASKED_EQ, bits, 0);
        }

        @Override
        public String toString() {
            return switch (op) {
                case MASKED_EQ -> "(arg" + index + " & 0x" + Long.toHexString(mask) + ") == 0x" + Long.toHexString(value);
                case EQ -> "arg" + index + " == " + value;
                case NE -> "arg" + index + " != " + value;
            };
        }
    }

    public SyscallRule {
        if (name == null || !name.matches("[a-z0-9_]+") || when == null || verdict == null || reason == null) {
            throw new InvalidInputException("syscall rule: '" + name + "' needs a system-call name, tests, a verdict"
                    + " and a reason");
        }
        when = List.copyOf(when);
        if ((verdict == Verdict.ERRNO) != (errno > 0)) {
            throw new InvalidInputException("syscall rule " + name + ": an ERRNO verdict needs an errno above 0, the"
                    + " others none (" + verdict + ", " + errno + ")");
        }
    }

    /** Whether the rule has no argument test. */
    public boolean unconditional() {
        return when.isEmpty();
    }

    @Override
    public String toString() {
        return name + (when.isEmpty() ? "" : " if " + when) + " -> "
                + (verdict == Verdict.ERRNO ? "errno " + errno : verdict.name().toLowerCase(java.util.Locale.ROOT))
                + " (" + reason + ")";
    }
}
