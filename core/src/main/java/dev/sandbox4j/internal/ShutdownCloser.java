package dev.sandbox4j.internal;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Closes the sandboxes still open when the JVM shuts down normally (System.exit, the end of main, a
 * SIGTERM), so their processes and temp dirs do not outlive it: host processes are not children that
 * die with the JVM. A JVM killed outright leaves them to the reaper. The hook is registered on first use.
 */
final class ShutdownCloser {
    private static final Set<DefaultSandbox> OPEN = ConcurrentHashMap.newKeySet();
    private static volatile boolean hooked;

    private ShutdownCloser() {
    }

    static void register(DefaultSandbox s) {
        hook();
        OPEN.add(s);
    }

    static void unregister(DefaultSandbox s) {
        OPEN.remove(s);
    }

    private static void hook() {
        if (hooked) {
            return;
        }
        synchronized (ShutdownCloser.class) {
            if (hooked) {
                return;
            }
            try {
                Runtime.getRuntime().addShutdownHook(new Thread(ShutdownCloser::closeAll, "sandbox4j-shutdown"));
            } catch (IllegalStateException e) {
                // already shutting down: nothing to hook into
            }
            hooked = true;
        }
    }

    private static void closeAll() {
        for (DefaultSandbox s : List.copyOf(OPEN)) {
            try {
                s.close();
            } catch (RuntimeException e) {
                // keep closing the others
            }
        }
    }
}
