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
 *   <li>{@link #start(String, Runnable)}: one dedicated thread per output stream and per stdin feed,
 *       since each blocks in read or write for the life of its command.</li>
 * </ul>
 */
public final class ExecThreads {
    private static final AtomicLong WORKER_IDS = new AtomicLong();

    private static final ScheduledThreadPoolExecutor TIMER = makeTimer();

    private static final ExecutorService WORKERS = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 30, TimeUnit.SECONDS,
            new SynchronousQueue<>(), r -> daemon("sandbox4j-worker-" + WORKER_IDS.incrementAndGet(), r));

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

    /** Starts a dedicated daemon thread. */
    public static Thread start(String name, Runnable body) {
        Thread t = daemon(name, body);
        t.start();
        return t;
    }

    private static Thread daemon(String name, Runnable body) {
        Thread t = new Thread(null, body, name, 0, false);
        t.setDaemon(true);
        return t;
    }
}
