package dev.sandbox4j.internal.exec;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The library's shared threads. All are platform daemon threads named {@code sandbox4j-*}, so a JVM
 * never waits for them on exit and a thread dump tells whose they are.
 *
 * <ul>
 *   <li>{@link #timer()}: one thread for every timeout and drain check; its tasks never block.</li>
 *   <li>{@link #workers()}: a cached pool for work that may block for a while: killing a tree on
 *       timeout, completing results (user callbacks run there), closing streams.</li>
 *   <li>{@link #start(String, Runnable)}: one thread per output stream and per stdin feed, since each
 *       blocks in read or write for the life of its command. The threads are pooled (a thread costs
 *       about 0.1 ms to create, a sizeable share of a short command's overhead) and named for the task
 *       they run while they run it.</li>
 * </ul>
 */
public final class ExecThreads {
    private static final AtomicLong WORKER_IDS = new AtomicLong();

    private static final ScheduledThreadPoolExecutor TIMER = makeTimer();

    private static final ExecutorService WORKERS = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 30, TimeUnit.SECONDS,
            new SynchronousQueue<>(), r -> daemon("sandbox4j-worker-" + WORKER_IDS.incrementAndGet(), r));

    private static final String IDLE_NAME = "sandbox4j-idle";

    /** Idle threads of {@link #start(String, Runnable)}; any number may be busy, none queues. */
    private static final ExecutorService DEDICATED = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 30, TimeUnit.SECONDS,
            new SynchronousQueue<>(), r -> daemon(IDLE_NAME, r));

    private ExecThreads() {
    }

    private static ScheduledThreadPoolExecutor makeTimer() {
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> daemon("sandbox4j-timer", r));
        // a cancelled timeout must not stay queued for the rest of its delay (a 10-minute wall time each)
        t.setRemoveOnCancelPolicy(true);
        return t;
    }

    static ScheduledThreadPoolExecutor timer() {
        return TIMER;
    }

    public static ExecutorService workers() {
        return WORKERS;
    }

    /**
     * Runs {@code body} on a thread of its own at once (never queued behind other work), named
     * {@code name} while it runs.
     */
    public static void start(String name, Runnable body) {
        DEDICATED.execute(() -> {
            Thread t = Thread.currentThread();
            t.setName(name);
            try {
                body.run();
            } finally {
                t.setName(IDLE_NAME);
            }
        });
    }

    private static Thread daemon(String name, Runnable body) {
        Thread t = new Thread(null, body, name, 0, false);
        t.setDaemon(true);
        return t;
    }
}
