package dev.sandbox4j.vm.internal.qemu;

import dev.sandbox4j.SandboxStartException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Starts every QEMU and virtiofsd process through {@code setpriv --pdeathsig KILL}, from one dedicated
 * thread that lives as long as the JVM. The kernel sends the parent-death signal when the thread that
 * forked the child exits, not the process: forking from short-lived caller threads would kill the VM when
 * that thread ends, and forking from a thread that never ends means the VM dies exactly when the JVM does
 * (a crash or {@code kill -9} included). Thread-safe.
 */
public final class Spawner {
    static final String SETPRIV = "/usr/bin/setpriv";
    private static final ExecutorService THREAD = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "sandbox4j-vm-spawner");
        t.setDaemon(true);
        return t;
    });

    private Spawner() {
    }

    /** True when setpriv is there to tie children to the JVM. */
    public static boolean available() {
        return Files.isExecutable(Path.of(SETPRIV));
    }

    /** Starts {@code argv} tied to this JVM's life; stdout and stderr as {@code pb} says. */
    public static Process start(List<String> argv, ProcessBuilder pb) {
        return start(List.of(), argv, pb);
    }

    /**
     * Like {@link #start(List, ProcessBuilder)} with more setpriv options ({@code --reuid}...): they must go
     * into the same setpriv call, because a change of credentials after the death signal was set clears it.
     */
    public static Process start(List<String> setprivOptions, List<String> argv, ProcessBuilder pb) {
        List<String> full = new ArrayList<>(List.of(SETPRIV, "--pdeathsig", "KILL"));
        full.addAll(setprivOptions);
        full.add("--");
        full.addAll(argv);
        pb.command(full);
        Future<Process> f = THREAD.submit(pb::start);
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SandboxStartException("interrupted while starting " + argv.get(0), e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            throw new SandboxStartException("cannot start " + argv.get(0) + ": " + c.getMessage()
                    + (c instanceof IOException ? "; is it installed (apt-get install qemu-system-x86 util-linux)?" : ""), c);
        }
    }
}
