package dev.sandbox4j.vm.internal.session;

import dev.sandbox4j.vm.internal.agent.AgentConnection;
import dev.sandbox4j.vm.internal.qemu.QemuInstance;
import dev.sandbox4j.vm.internal.qemu.RuntimeDir;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The processes and files of one running VM, and their removal: QEMU first (so virtiofsd sees its
 * client go), then each virtiofsd, and the runtime directory (virtiofsd's sockets and lock files are in
 * it). Idempotent.
 *
 * @param dir     the runtime directory
 * @param qemu    QEMU
 * @param daemons the virtiofsd processes
 * @param agent   the agent connection
 */
record RunningVm(RuntimeDir dir, QemuInstance qemu, List<Process> daemons, AgentConnection agent) {

    void close() {
        if (agent != null) {
            agent.close();
        }
        RuntimeException first = null;
        if (qemu != null) {
            try {
                qemu.close();
            } catch (RuntimeException e) {
                first = e;
            }
        }
        stopDaemons(daemons);
        dir.close();
        if (first != null) {
            throw first;
        }
    }

    static void stopDaemons(List<Process> daemons) {
        for (Process p : daemons) {
            p.destroyForcibly();
        }
        for (Process p : daemons) {
            try {
                p.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
