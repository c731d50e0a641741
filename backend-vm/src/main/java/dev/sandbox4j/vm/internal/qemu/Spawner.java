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
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Starts every QEMU and virtiofsd process through {@code setpriv --pdeathsig KILL}, from dedicated threads
 * that live as long as the JVM. The kernel sends the parent-death signal when the thread that forked the
 * child exits, not the process: forking from short-lived caller threads would kill the VM when that thread
 * ends, and forking from threads that never end means the VM dies exactly when the JVM does (a crash or
 * {@code kill -9} included). A few such threads, so that a VM's QEMU and its virtiofsd processes start at
 * the same time: one thread would queue QEMU, the slowest to start, behind them. Thread-safe.
 */
public final class Spawner {
    static final String SETPRIV = "/usr/bin/setpriv";
    /** QEMU and two virtiofsd per VM start at once; more threads are made only as needed, and never end. */
    private static final int THREADS = 4;
    private static final AtomicInteger COUNT = new AtomicInteger();
    private static final ExecutorService THREAD = Executors.newFixedThreadPool(THREADS, r -> {
        Thread t = new Thread(r, "sandbox4j-vm-spawner-" + COUNT.incrementAndGet());
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
