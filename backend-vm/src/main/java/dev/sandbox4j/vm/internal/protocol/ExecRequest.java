package dev.sandbox4j.vm.internal.protocol;

import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * The EXEC payload: one process and everything the agent applies to it before it runs.
 *
 * @param noNewPrivileges set no_new_privs
 * @param dropCapabilities drop every capability but {@code keepCapabilities}
 * @param stdinEmpty      give the process an already-closed stdin
 * @param uid             the uid (and gid) to run as; empty: the agent's (root in the guest)
 * @param keepCapabilities bit n keeps capability n
 * @param timeout         the agent's own deadline for the exec; {@link Duration#ZERO} for none
 * @param fileSize        RLIMIT_FSIZE in bytes
 * @param openFiles       RLIMIT_NOFILE
 * @param killOnSyscall   a denied call kills the process (else it fails with EPERM)
 * @param syscalls        x86_64 numbers of the denied calls; empty: no filter
 * @param workdir         absolute working directory
 * @param argv            program and arguments
 * @param env             the complete environment, NAME=value
 */
public record ExecRequest(boolean noNewPrivileges, boolean dropCapabilities, boolean stdinEmpty, OptionalInt uid,
                          long keepCapabilities, Duration timeout, OptionalLong fileSize, OptionalLong openFiles,
                          boolean killOnSyscall, List<Integer> syscalls, String workdir, List<String> argv,
                          List<String> env) {

    public ExecRequest {
        syscalls = List.copyOf(syscalls);
        argv = List.copyOf(argv);
        env = List.copyOf(env);
    }

    /** A plain exec: no limits, no credentials change; what the tests and the tar calls use. */
    public static ExecRequest plain(List<String> argv, List<String> env, String workdir) {
        return new ExecRequest(false, false, false, OptionalInt.empty(), 0, Duration.ZERO, OptionalLong.empty(),
                OptionalLong.empty(), false, List.of(), workdir, argv, env);
    }

    public byte[] encode() {
        PayloadWriter w = new PayloadWriter();
        w.u32((noNewPrivileges ? 1 : 0) | (dropCapabilities ? 2 : 0) | (stdinEmpty ? 4 : 0));
        long id = uid.isPresent() ? uid.getAsInt() & 0xffffffffL : 0xffffffffL;
        w.u32(id).u32(id).u64(keepCapabilities).u64(timeout.toMillis())
                .u64(fileSize.orElse(PayloadWriter.NONE)).u64(openFiles.orElse(PayloadWriter.NONE))
                .u32(syscalls.isEmpty() ? 0 : killOnSyscall ? 2 : 1).u32(syscalls.size());
        syscalls.forEach(w::u32);
        return w.str(workdir).list(argv).list(env).toByteArray();
    }
}
