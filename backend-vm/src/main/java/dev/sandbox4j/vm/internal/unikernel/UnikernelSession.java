package dev.sandbox4j.vm.internal.unikernel;

import dev.sandbox4j.ExecException;
import dev.sandbox4j.spi.BackendSession;
import dev.sandbox4j.spi.ProcessRequest;
import dev.sandbox4j.spi.SandboxProcess;
import dev.sandbox4j.vm.internal.qemu.RuntimeDir;
import dev.sandbox4j.vm.internal.qemu.Spawner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A unikernel sandbox: nothing runs between commands; each exec boots the image once with the command's
 * arguments as its command line. close() kills boots still running and removes the runtime directory.
 * Thread-safe.
 */
final class UnikernelSession implements BackendSession {
    private final String name;
    private final RuntimeDir dir;
    private final UnikernelPlan template;
    private final Set<UnikernelProcess> running = ConcurrentHashMap.newKeySet();
    private final AtomicLong boots = new AtomicLong();
    private volatile boolean closed;

    UnikernelSession(String name, RuntimeDir dir, UnikernelPlan template) {
        this.name = name;
        this.dir = dir;
        this.template = template;
    }

    @Override
    public String workspacePath() {
        return "/workspace";
    }

    @Override
    public SandboxProcess spawn(ProcessRequest request) {
        if (closed) {
            throw new ExecException("sandbox " + name + " is closed");
        }
        String cmdline = String.join(" ", request.argv());
        if (cmdline.length() > 4000) {
            throw new ExecException("unikernel: the command line has " + cmdline.length()
                    + " characters; QEMU passes at most about 4000 to a PVH kernel");
        }
        UnikernelPlan plan = new UnikernelPlan(template.accel(), template.image(), template.initrd(), cmdline,
                template.ramMiB(), template.cpus());
        long n = boots.incrementAndGet();
        Path pidFile = dir.resolve("boot-" + n + ".pid");
        ProcessBuilder pb = new ProcessBuilder();
        pb.environment().clear();
        Process p = Spawner.start(plan.args(name + "-" + n, pidFile), pb);
        UnikernelProcess[] self = new UnikernelProcess[1];
        UnikernelProcess up = new UnikernelProcess(p, () -> {
            running.remove(self[0]);
            try {
                Files.deleteIfExists(pidFile);
            } catch (IOException ignored) {
                // the directory goes with the session
            }
        });
        self[0] = up;
        running.add(up);
        if (closed) {
            up.kill();
        }
        return up;
    }

    @Override
    public void close() {
        closed = true;
        for (UnikernelProcess p : running) {
            p.kill();
        }
        dir.close();
    }
}
