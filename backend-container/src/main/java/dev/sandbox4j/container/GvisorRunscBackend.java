package dev.sandbox4j.container;

import dev.sandbox4j.InvalidInputException;
import dev.sandbox4j.container.internal.runsc.DaemonlessGvisor;
import dev.sandbox4j.container.internal.runsc.Runsc;
import dev.sandbox4j.spi.Availability;
import dev.sandbox4j.spi.BackendSession;
import dev.sandbox4j.spi.Capability;
import dev.sandbox4j.spi.IsolationLevel;
import dev.sandbox4j.spi.SandboxBackend;
import dev.sandbox4j.spi.SandboxSpec;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The {@code gvisor-runsc} backend (isolation USER_KERNEL): gVisor without a container engine. Each
 * sandbox is a {@code runsc} container of a private state directory, made from an OCI bundle the library
 * writes (runsc flags: {@code --platform=ptrace --network=none --oci-seccomp --host-fifo=open}); PID 1 is
 * the host's static init, its child an exec agent that forks every command. Needs root and runsc
 * ({@code apt-get install runsc}); option {@code gvisor.runsc} names the binary (default: {@code runsc} on
 * the PATH). Images: {@link dev.sandbox4j.SandboxImage#host()} (default) and {@code rootfs(tarball)}.
 *
 * <p>Because the library writes the whole spec and every command descends from the init, this path
 * claims more than {@code gvisor}'s engine path: no-new-privileges and no capabilities (always, whatever
 * the policy asks; shown by gVisor's prctl/capget). The seccomp filter is the sandbox's system-call table
 * (inherited from the init, which is where runsc installs it; every sandbox has one). This runsc answers
 * every denial with EPERM (it ignores errnoRet), so the table's ENOSYS answers are traced calls without a
 * tracer, which fail with ENOSYS. Every process runs as the sandbox's own host uid and gid (no
 * RUN_AS_UID); every bind source is a pinned path's engine source, nosuid and nodev; {@code limits.disk}
 * is enforced with the core's storage. Memory (the whole sandbox, gVisor's kernel included:
 * exceeding it OOM-kills the sandbox, the command ends with 137, a limits.memory violation is reported and
 * the sandbox is made again with the workspace kept) and CPU time are the host cgroup's; file size and open
 * files are rlimits gVisor's kernel enforces. Not claimed: a pids limit (gVisor 2022 has no pids
 * controller inside; the host's counts its own threads and kills the whole sandbox, so a policy with
 * {@code limits.pids} is refused at build()), the host's network, OCI image references (no image store
 * without an engine). A timeout kills the command's tree with {@code s4j-kill-tree}, a static helper of this
 * module run with {@code runsc exec} under the sandbox's filter; when that does not end within 1.2 s (a
 * saturated sandbox), {@code runsc kill --all} ends the whole sandbox, which the next command makes again, so
 * a timeout returns within about that of its deadline. A command's {@code kill -9 -1} (it runs as the same
 * uid as the exec agent) ends the agent and so the sandbox: the command ends at once with 137 and the next
 * one runs in the sandbox made again (a progress event "sandbox restart"). The seccomp filter lists the native
 * ABI alone, as the engine backends' do; gVisor's kernel has no i386 ABI either. {@link #probe()} reports the
 * backend unavailable under a non-root JVM (runsc needs root). Leftovers carry the session id in their names
 * ({@code <tmp>/sandbox4j-runsc-<session>--<id>}, cgroups of the same name) and are removed by {@link #reap()}.
 * Thread-safe; stateless.
 */
public final class GvisorRunscBackend implements SandboxBackend {
    private static final Set<Capability> CAPABILITIES = Set.copyOf(EnumSet.of(Capability.FILESYSTEM_VIEW,
            Capability.HIDE_PATHS, Capability.TMPFS, Capability.NETWORK_NONE, Capability.NETWORK_LOOPBACK,
            Capability.MEMORY_LIMIT, Capability.CPU_LIMIT, Capability.FILE_SIZE_LIMIT, Capability.OPEN_FILES_LIMIT,
            Capability.DISK_LIMIT, Capability.SYSCALL_FILTER, Capability.SYSCALL_FILTER_KILL, Capability.PID_ISOLATION,
            Capability.NO_NEW_PRIVILEGES, Capability.DROP_CAPABILITIES, Capability.CONTAIN_DAEMONS, Capability.KEEP_BACKGROUND, Capability.REAPABLE,
            Capability.IMAGE_HOST, Capability.IMAGE_ROOTFS));

    @Override
    public String name() {
        return "gvisor-runsc";
    }

    @Override
    public IsolationLevel isolation() {
        return IsolationLevel.USER_KERNEL;
    }

    @Override
    public Availability probe() {
        return DaemonlessGvisor.probe(Runsc.DEFAULT);
    }

    @Override
    public Set<Capability> capabilities() {
        return CAPABILITIES;
    }

    @Override
    public Duration typicalStartup() {
        return Duration.ofMillis(400);
    }

    @Override
    public BackendSession open(SandboxSpec spec) {
        for (String key : spec.options().keySet()) {
            if (key.startsWith("gvisor-runsc.") || (key.startsWith("gvisor.") && !key.equals(DaemonlessGvisor.RUNSC_OPTION))) {
                throw new InvalidInputException("option '" + key + "' is not one the gvisor-runsc backend knows; it takes: "
                        + DaemonlessGvisor.RUNSC_OPTION);
            }
        }
        return DaemonlessGvisor.open(spec, spec.options().getOrDefault(DaemonlessGvisor.RUNSC_OPTION, Runsc.DEFAULT));
    }

    @Override
    public List<String> reap() {
        return DaemonlessGvisor.reap(Runsc.DEFAULT);
    }
}
