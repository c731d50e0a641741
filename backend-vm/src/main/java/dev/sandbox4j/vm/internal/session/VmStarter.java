package dev.sandbox4j.vm.internal.session;

import dev.sandbox4j.SandboxStartException;
import dev.sandbox4j.vm.internal.agent.AgentConnection;
import dev.sandbox4j.vm.internal.qemu.AgentSocket;
import dev.sandbox4j.vm.internal.qemu.ChannelStreams;
import dev.sandbox4j.vm.internal.qemu.QemuInstance;
import dev.sandbox4j.vm.internal.qemu.Qmp;
import dev.sandbox4j.vm.internal.qemu.RuntimeDir;
import dev.sandbox4j.vm.internal.qemu.Virtiofsd;
import dev.sandbox4j.vm.internal.qemu.VmPlan;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts the pieces of one VM in order (virtiofsd per share, the agent socket, QEMU, the agent
 * connection) and, unless {@link #keep()} was called, removes all of them again on {@link #close()}:
 * a start that fails half-way leaves nothing behind. Not thread-safe.
 */
final class VmStarter implements AutoCloseable {
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(30);
    static final Duration QMP_TIMEOUT = Duration.ofSeconds(30);

    private final String name;
    private final RuntimeDir dir;
    private final List<Process> daemons = new ArrayList<>();
    private final List<java.nio.file.Path> sockets = new ArrayList<>();
    private QemuInstance qemu;
    private AgentConnection agent;
    private boolean kept;

    VmStarter(String name, String sandboxId) {
        this.name = name;
        this.dir = RuntimeDir.create(sandboxId);
    }

    RuntimeDir dir() {
        return dir;
    }

    /** Starts one virtiofsd per share, and returns the devices that connect to them. */
    List<VmPlan.FsDevice> shares(VmConfig cfg) {
        List<VmPlan.FsDevice> devices = new ArrayList<>();
        for (int i = 0; i < cfg.shares().size(); i++) {
            VmConfig.ShareSpec s = cfg.shares().get(i);
            Path socket = dir.resolve("fs" + i + ".sock");
            sockets.add(socket);
            daemons.add(Virtiofsd.start(new Virtiofsd.Share(s.hostPath(), socket, s.readOnly(), s.cache()),
                    cfg.sandboxUid(), dir, "virtiofsd-" + i + ".log"));
            devices.add(new VmPlan.FsDevice("fs" + i, s.tag(), socket));
        }
        return devices;
    }

    /** Starts QEMU and takes its connection to the agent port; the agent's frames are not read yet. */
    QemuInstance qemu(VmPlan plan) {
        try (AgentSocket socket = new AgentSocket(dir.resolve("agent.sock"))) {
            qemu = QemuInstance.start(plan.args(name, dir), dir, name);
            SocketChannel ch;
            try {
                ch = socket.accept(CONNECT_TIMEOUT, qemu::alive);
            } catch (SandboxStartException e) {
                throw failure(e.getMessage(), e);
            }
            QemuInstance q = qemu;
            agent = new AgentConnection(name, ChannelStreams.in(ch), ChannelStreams.out(ch), reason -> {
                // a guest that breaks the protocol, or whose channel ends, is stopped at once
                if (kept) {
                    q.close();
                }
            });
            qemu.qmp().handshake(QMP_TIMEOUT);
            return qemu;
        } catch (Qmp.QmpException e) {
            throw failure("QEMU's machine protocol did not come up: " + e.getMessage(), e);
        }
    }

    AgentConnection agent() {
        return agent;
    }

    /** A start failure with everything QEMU and the guest said. */
    SandboxStartException failure(String what, Throwable cause) {
        String diag = qemu == null ? "" : qemu.diagnostics();
        return new SandboxStartException("starting the VM of " + name + " failed: " + what + diag, cause);
    }

    RunningVm keep() {
        kept = true;
        return new RunningVm(dir, qemu, List.copyOf(daemons), List.copyOf(sockets), agent);
    }

    @Override
    public void close() {
        if (!kept) {
            new RunningVm(dir, qemu, List.copyOf(daemons), List.copyOf(sockets), agent).close();
        }
    }
}
