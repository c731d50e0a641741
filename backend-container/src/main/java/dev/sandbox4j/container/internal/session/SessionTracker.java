package dev.sandbox4j.container.internal.session;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The sessions of this JVM still open, closed by a shutdown hook when the JVM exits normally (a JVM that
 * is killed leaves its containers to the reaper, which finds them by their session label). Thread-safe.
 */
public final class SessionTracker {
    private static final Set<ContainerSession> OPEN = ConcurrentHashMap.newKeySet();
    private static volatile boolean hooked;

    private SessionTracker() {
    }

    static void register(ContainerSession s) {
        hookOnce();
        OPEN.add(s);
    }

    static void unregister(ContainerSession s) {
        OPEN.remove(s);
    }

    /** How many sessions are open (for tests). */
    public static int openCount() {
        return OPEN.size();
    }

    private static void hookOnce() {
        if (hooked) {
            return;
        }
        synchronized (SessionTracker.class) {
            if (!hooked) {
                Runtime.getRuntime().addShutdownHook(new Thread(() -> List.copyOf(OPEN).parallelStream()
                        .forEach(ContainerSession::close), "sandbox4j-container-shutdown"));
                hooked = true;
            }
        }
    }
}
