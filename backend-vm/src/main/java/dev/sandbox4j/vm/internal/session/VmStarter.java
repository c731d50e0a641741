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
import java.util.function.Supplier;

/**
 * Starts the pieces of one VM (virtiofsd per share, the agent socket, QEMU, the agent connection) and,
 * unless {@link #keep()} was called, removes all of them again on {@link #close()}: a start that fails
 * half-way leaves nothing behind. {@link #shares} may run on another thread while QEMU starts; everything
 * else, and close() (after that thread is done), on one.
 */
final class VmStarter implements AutoCloseable {
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(30);
    static final Duration QMP_TIMEOUT = Duration.ofSeconds(30);

    private final String name;
    private final RuntimeDir dir;
    private final List<Process> daemons = java.util.Collections.synchronizedList(new ArrayList<>());
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

    /** The devices that connect to the shares' virtiofsd: known before any of them runs. */
    List<VmPlan.FsDevice> devices(VmConfig cfg) {
        List<VmPlan.FsDevice> devices = new ArrayList<>();
        for (int i = 0; i < cfg.shares().size(); i++) {
            devices.add(new VmPlan.FsDevice("fs" + i, cfg.shares().get(i).tag(), Virtiofsd.socketIn(stateDir(i))));
        }
        return devices;
    }

    /** The directory of share {@code i}'s virtiofsd (its socket and lock file), made by {@link Virtiofsd#spawn}. */
    private Path stateDir(int i) {
        return dir.resolve("vfs" + i);
    }

    /**
     * Starts one virtiofsd per share, all at once, each as the sandbox's host uid serving the share's engine
     * source; waits until each listens, and returns their devices.
     */
    List<VmPlan.FsDevice> shares(VmConfig cfg) {
        List<VmPlan.FsDevice> devices = devices(cfg);
        List<Virtiofsd.Share> started = new ArrayList<>();
        Virtiofsd.Ids ids = new Virtiofsd.Ids(cfg.sandboxUid(), cfg.sandboxUid(), cfg.hostIds().uid(), cfg.hostIds().gid());
        for (int i = 0; i < devices.size(); i++) {
            VmConfig.ShareSpec s = cfg.shares().get(i);
            Virtiofsd.Share share = new Virtiofsd.Share(s.engineSource(), stateDir(i), s.readOnly(), s.cache());
            daemons.add(Virtiofsd.spawn(share, ids, dir, "virtiofsd-" + i + ".log"));
            started.add(share);
        }
        for (int i = 0; i < started.size(); i++) {
            Virtiofsd.awaitListening(daemons.get(i), started.get(i), dir.resolve("virtiofsd-" + i + ".log"), Virtiofsd.LISTEN_TIMEOUT);
        }
        return devices;
    }

    /** Starts QEMU and takes its connection to the agent port; the agent's frames are not read yet. */
    QemuInstance qemu(VmPlan plan) {
        return qemu(plan, List::of);
    }

    /**
     * Like {@link #qemu(VmPlan)}, and runs the QMP commands {@code then} gives with the handshake: it is
     * asked once QEMU has connected to the agent port, while QEMU still builds its machine (and may wait
     * for what the commands need, or throw a {@link SandboxStartException}).
     */
    QemuInstance qemu(VmPlan plan, Supplier<List<VmPlan.QmpCommand>> then) {
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
                // a guest that breaks the protocol, whose channel ends, or that does not confirm a kill is
                // stopped at once; off the caller's thread (the agent's reader or the kill watchdog), which
                // must not wait for QEMU to die
                if (kept) {
                    Thread stop = new Thread(() -> {
                        try {
                            q.close();
                        } catch (RuntimeException e) {
                            System.getLogger("dev.sandbox4j.vm").log(System.Logger.Level.WARNING, "stopping " + name + ": " + e);
                        }
                    }, "sandbox4j-vm-stop-" + name);
                    stop.setDaemon(true);
                    stop.start();
                }
            });
            List<VmPlan.QmpCommand> commands = then.get();
            qemu.qmp().handshake(QMP_TIMEOUT, commands);
            return qemu;
        } catch (Qmp.QmpException e) {
            throw failure("QEMU's machine protocol did not come up, or refused a command sent with its handshake: " + e.getMessage(), e);
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
        return new RunningVm(dir, qemu, List.copyOf(daemons), agent);
    }

    @Override
    public void close() {
        if (!kept) {
            new RunningVm(dir, qemu, List.copyOf(daemons), agent).close();
        }
    }
}
