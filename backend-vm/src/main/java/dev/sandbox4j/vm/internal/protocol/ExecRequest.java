package dev.sandbox4j.vm.internal.protocol;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * The EXEC payload: one process and everything the agent applies to it before it runs. Immutable.
 *
 * @param noNewPrivileges set no_new_privs
 * @param dropCapabilities drop every capability but {@code keepCapabilities}
 * @param stdinEmpty      give the process an already-closed stdin
 * @param uid             the uid (and gid) to run as; empty: the agent's (root in the guest)
 * @param keepCapabilities bit n keeps capability n
 * @param timeout         the agent's own deadline for the exec; {@link Duration#ZERO} for none
 * @param fileSize        RLIMIT_FSIZE in bytes
 * @param openFiles       RLIMIT_NOFILE
 * @param seccomp         the seccomp program the child installs (see {@link #checkProgram}): the sandbox's
 *                        system-call table compiled for x86_64; mandatory, the agent runs nothing without one
 * @param workdir         absolute working directory
 * @param argv            program and arguments
 * @param env             the complete environment, NAME=value
 */
public record ExecRequest(boolean noNewPrivileges, boolean dropCapabilities, boolean stdinEmpty, OptionalInt uid,
                          long keepCapabilities, Duration timeout, OptionalLong fileSize, OptionalLong openFiles,
                          byte[] seccomp, String workdir, List<String> argv, List<String> env) {

    /** BPF_MAXINSNS: the kernel's bound on a classic-BPF program. */
    public static final int MAX_INSTRUCTIONS = 4096;

    public ExecRequest {
        seccomp = checkProgram(seccomp).clone();
        argv = List.copyOf(argv);
        env = List.copyOf(env);
    }

    /** A plain exec: no limits, no credentials change, the given seccomp program; what the tests use. */
    public static ExecRequest plain(List<String> argv, List<String> env, String workdir, byte[] seccomp) {
        return new ExecRequest(false, false, false, OptionalInt.empty(), 0, Duration.ZERO, OptionalLong.empty(),
                OptionalLong.empty(), seccomp, workdir, argv, env);
    }

    /**
     * {@code bpf} when it is a program the agent accepts: 1 to {@value #MAX_INSTRUCTIONS} instructions of 8
     * bytes ({@code struct sock_filter}).
     *
     * @throws IllegalArgumentException otherwise
     */
    public static byte[] checkProgram(byte[] bpf) {
        if (bpf == null || bpf.length == 0 || bpf.length % 8 != 0 || bpf.length / 8 > MAX_INSTRUCTIONS) {
            throw new IllegalArgumentException("a seccomp program for the guest agent must have 1 to " + MAX_INSTRUCTIONS
                    + " instructions of 8 bytes, not " + (bpf == null ? "none" : bpf.length + " bytes"));
        }
        return bpf;
    }

    @Override
    public byte[] seccomp() {
        return seccomp.clone();
    }

    public byte[] encode() {
        PayloadWriter w = new PayloadWriter();
        w.u32((noNewPrivileges ? 1 : 0) | (dropCapabilities ? 2 : 0) | (stdinEmpty ? 4 : 0));
        long id = uid.isPresent() ? uid.getAsInt() & 0xffffffffL : 0xffffffffL;
        w.u32(id).u32(id).u64(keepCapabilities).u64(timeout.toMillis())
                .u64(fileSize.orElse(PayloadWriter.NONE)).u64(openFiles.orElse(PayloadWriter.NONE)).blob(seccomp);
        return w.str(workdir).list(argv).list(env).toByteArray();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ExecRequest x && noNewPrivileges == x.noNewPrivileges && dropCapabilities == x.dropCapabilities
                && stdinEmpty == x.stdinEmpty && uid.equals(x.uid) && keepCapabilities == x.keepCapabilities
                && timeout.equals(x.timeout) && fileSize.equals(x.fileSize) && openFiles.equals(x.openFiles)
                && Arrays.equals(seccomp, x.seccomp) && workdir.equals(x.workdir) && argv.equals(x.argv) && env.equals(x.env);
    }

    @Override
    public int hashCode() {
        return (Arrays.hashCode(seccomp) * 31 + argv.hashCode()) * 31 + env.hashCode();
    }

    @Override
    public String toString() {
        return "ExecRequest[uid=" + uid + ", argv=" + argv + ", workdir=" + workdir + ", seccomp " + seccomp.length / 8
                + " instructions]";
    }
}
