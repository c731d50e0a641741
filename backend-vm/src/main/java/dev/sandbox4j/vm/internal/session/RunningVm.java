package dev.sandbox4j.vm.internal.session;

import dev.sandbox4j.vm.internal.agent.AgentConnection;
import dev.sandbox4j.vm.internal.qemu.QemuInstance;
import dev.sandbox4j.vm.internal.qemu.RuntimeDir;
import dev.sandbox4j.vm.internal.qemu.Virtiofsd;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The processes and files of one running VM, and their removal: QEMU first (so virtiofsd sees its
 * client go), then each virtiofsd, their lock files, and the runtime directory. Idempotent.
 *
 * @param dir     the runtime directory
 * @param qemu    QEMU
 * @param daemons the virtiofsd processes
 * @param sockets their sockets (virtiofsd keeps a lock file named after each)
 * @param agent   the agent connection
 */
record RunningVm(RuntimeDir dir, QemuInstance qemu, List<Process> daemons, List<Path> sockets, AgentConnection agent) {

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
        stopDaemons(daemons, sockets);
        dir.close();
        if (first != null) {
            throw first;
        }
    }

    static void stopDaemons(List<Process> daemons, List<Path> sockets) {
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
        for (Path s : sockets) {
            try {
                Files.deleteIfExists(Virtiofsd.lockFile(s));
            } catch (IOException ignored) {
                // the reaper removes it
            }
        }
    }
}
