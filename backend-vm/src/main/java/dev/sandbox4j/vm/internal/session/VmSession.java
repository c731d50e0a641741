package dev.sandbox4j.vm.internal.session;

import dev.sandbox4j.ExecException;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.spi.BackendSession;
import dev.sandbox4j.spi.EventSink;
import dev.sandbox4j.spi.HostIds;
import dev.sandbox4j.spi.ProcessRequest;
import dev.sandbox4j.spi.SandboxProcess;
import dev.sandbox4j.vm.internal.agent.AgentConnection;
import dev.sandbox4j.vm.internal.protocol.ExitReport;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeoutException;

/**
 * One open VM sandbox: commands go to the guest agent, each with the sandbox's seccomp program; the files
 * API works on the host's workspace and hands what it makes to the sandbox's host ids; close() kills QEMU
 * and the virtiofsd processes, deletes the runtime directory and releases the host side ({@link HostSide}).
 * A VM stopped because its guest broke the protocol or did not confirm a kill makes every later call fail
 * with the reason. Thread-safe.
 */
final class VmSession implements BackendSession {
    /** How long the agent may take to fork and exec under TCG on a loaded host. */
    static final Duration START_TIMEOUT = Duration.ofSeconds(30);

    private final String name;
    private final RunningVm vm;
    private final HostSide host;
    private final byte[] seccomp;
    private final IsolationPolicy policy;
    private final EventSink events;
    private final java.util.concurrent.atomic.AtomicReference<String> startNote;
    private volatile boolean closed;

    /**
     * @param startNote how the VM started (time, accelerator): reported as a progress event with the first
     *                  command, so that it follows the sandbox's Created event
     */
    VmSession(String name, RunningVm vm, HostSide host, IsolationPolicy policy, EventSink events, String startNote) {
        this.name = name;
        this.vm = vm;
        this.host = host;
        this.seccomp = host.seccomp();
        this.policy = policy;
        this.events = events;
        this.startNote = new java.util.concurrent.atomic.AtomicReference<>(startNote);
    }

    /** The VM's processes and agent, for this package's tests. */
    RunningVm vm() {
        return vm;
    }

    @Override
    public String workspacePath() {
        return VmConfig.WORKSPACE;
    }

    /** The guest's user writes the workspace through a file server that runs as the sandbox's own host ids. */
    @Override
    public Optional<HostIds> filesOwner() {
        return Optional.of(host.ids());
    }

    @Override
    public SandboxProcess spawn(ProcessRequest request) {
        if (closed) {
            throw new ExecException("sandbox " + name + " is closed");
        }
        String note = startNote.getAndSet(null);
        if (note != null) {
            events.progress("vm", note);
        }
        AgentConnection agent = vm.agent();
        agent.brokenReason().ifPresent(r -> {
            throw new ExecException("the VM of sandbox " + name + " is gone: " + r + "; close this sandbox and open a new one"
                    + vm.qemu().diagnostics());
        });
        try {
            return agent.exec(ExecMapper.map(request, policy, seccomp, false), START_TIMEOUT, this::report);
        } catch (TimeoutException e) {
            throw new ExecException(e.getMessage() + "; the guest may be hung" + vm.qemu().diagnostics(), e);
        }
    }

    private void report(ExitReport r) {
        if (r.oomKilled()) {
            events.violation("limits.memory", "the guest's memory limit (" + policy.limits().memory().map(Object::toString).orElse("the VM's RAM")
                    + ") killed a process of the command");
        }
        if (r.pidsLimited()) {
            events.violation("limits.pids", "the pids limit (" + policy.limits().pids() + ") refused a fork of the command");
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            vm.close();
        } finally {
            host.close();
        }
    }
}
