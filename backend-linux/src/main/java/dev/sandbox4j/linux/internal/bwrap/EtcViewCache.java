package dev.sandbox4j.linux.internal.bwrap;

import dev.sandbox4j.SandboxStartException;
import dev.sandbox4j.linux.internal.host.PrivateDirs;
import dev.sandbox4j.linux.internal.plan.SandboxPlan;
import dev.sandbox4j.linux.internal.plan.Step;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The {@link EtcView} directories of this JVM, shared by the sessions whose /etc is the same: building one
 * costs ~20 file copies at open and as many deletions at close, a tenth of a one-shot sandbox.
 *
 * <p><b>Same /etc.</b> A view is reused only when the key of the new plan equals the one it was built for:
 * for every host file copied, its path, inode, device, size, modification and change time (no one can set a
 * change time back, so a file written since has another key); for every generated file (passwd, group,
 * hosts) its whole content; every /etc symlink's target; and every other mount below /etc (their mount
 * points are made in the view). The key is taken before the copies are made, so a file that changes while
 * it is copied yields a view newer than its key, which no later plan asks for.
 *
 * <p><b>Where, and for how long.</b> In one directory per JVM and temp root,
 * {@code <tempRoot>/sandbox4j-bwrapetc-<session>--<random>} (mode 0711; each view is 0755 with files 0644,
 * as a per-session copy was). Each session pins its view, and the launcher stages it, verified, at every exec. A view in use by an open session is never removed; up to {@value #IDLE_MAX}
 * unused ones stay for the next sessions, older ones are deleted. The directory is removed when the JVM
 * exits, and by the backend's reaper (kind {@value #KIND}) after a JVM that died.
 *
 * <p>Thread-safe.
 */
final class EtcViewCache {
    /** The {@code kind} of the directory's name. */
    static final String KIND = "bwrapetc";
    static final int IDLE_MAX = 4;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A view lent to a session until {@link #close()}. */
    static final class Lease implements AutoCloseable {
        private final Entry entry;
        private boolean closed;

        private Lease(Entry entry) {
            this.entry = entry;
        }

        EtcView view() {
            return entry.view;
        }

        @Override
        public void close() {
            synchronized (EtcViewCache.class) {
                if (!closed) {
                    closed = true;
                    entry.leases--;
                    evictIdle();
                }
            }
        }
    }

    private static final class Entry {
        final Path root;
        final List<Object> key;
        final EtcView view;
        int leases;
        long lastUsed;

        Entry(Path root, List<Object> key, EtcView view) {
            this.root = root;
            this.key = key;
            this.view = view;
        }
    }

    private static final List<Entry> ENTRIES = new ArrayList<>();
    private static final Map<Path, Path> ROOTS = new HashMap<>();
    private static long clock;
    private static long names;
    private static boolean hooked;
    private static boolean shutDown;

    private EtcViewCache() {
    }

    /**
     * A view of {@code plan}'s /etc under {@code tempRoot}, built or shared; empty when the plan has none
     * (see {@link EtcView#consolidated}).
     *
     * @throws SandboxStartException when a view cannot be built
     */
    static Optional<Lease> acquire(SandboxPlan plan, Path tempRoot) {
        Set<String> consolidated = EtcView.consolidated(plan);
        if (consolidated.isEmpty()) {
            return Optional.empty();
        }
        Path root = tempRoot.toAbsolutePath().normalize();
        List<Object> key = key(plan, consolidated);
        synchronized (EtcViewCache.class) {
            for (Iterator<Entry> it = ENTRIES.iterator(); it.hasNext(); ) {
                Entry e = it.next();
                if (e.root.equals(root) && e.key.equals(key)) {
                    if (Files.isDirectory(e.view.dir())) {
                        e.leases++;
                        e.lastUsed = ++clock;
                        return Optional.of(new Lease(e));
                    }
                    // removed from outside (a temp cleaner): build it again
                    it.remove();
                }
            }
            Path dir = rootDir(root).resolve(Long.toString(++names));
            try {
                EtcView.build(plan, consolidated, dir);
            } catch (RuntimeException ex) {
                PrivateDirs.delete(dir);
                throw ex;
            }
            Entry e = new Entry(root, key, new EtcView(dir, consolidated));
            e.leases = 1;
            e.lastUsed = ++clock;
            ENTRIES.add(e);
            evictIdle();
            return Optional.of(new Lease(e));
        }
    }

    /** What decides the content of the view: see the class comment. */
    static List<Object> key(SandboxPlan plan, Set<String> consolidated) {
        List<Object> key = new ArrayList<>();
        for (Step s : plan.steps()) {
            if (s instanceof Step.BindRo b && consolidated.contains(b.dest())) {
                String generated = plan.generatedFiles().get(b.host());
                key.add(generated != null ? List.of("gen", b.dest(), generated) : List.of("file", b.dest(), identity(b.host())));
            } else if (s instanceof Step.Symlink l && consolidated.contains(l.dest())) {
                key.add(List.of("link", l.dest(), l.target()));
            } else {
                String dest = s instanceof Step.BindRo b ? b.dest() : s instanceof Step.BindRw b ? b.dest()
                        : s instanceof Step.BindDev b ? b.dest() : s instanceof Step.Tmpfs t ? t.dest()
                        : s instanceof Step.HideDir h ? h.dest() : s instanceof Step.HideFile h ? h.dest() : null;
                if (dest != null && dest.startsWith("/etc/")) {
                    Path host = s instanceof Step.BindRo b ? b.host() : s instanceof Step.BindRw b ? b.host()
                            : s instanceof Step.BindDev b ? b.host() : null;
                    key.add(List.of("mount", s.getClass().getSimpleName(), dest,
                            host != null && Files.isDirectory(host)));
                }
            }
        }
        return List.copyOf(key);
    }

    private static Object identity(Path host) {
        try {
            Map<String, Object> a = Files.readAttributes(host, "unix:dev,ino,size,lastModifiedTime,ctime");
            return List.of(host.toString(), a.get("dev"), a.get("ino"), a.get("size"), a.get("lastModifiedTime").toString(),
                    a.get("ctime").toString());
        } catch (IOException | UnsupportedOperationException e) {
            // unreadable now: a key that matches nothing, so the copy (which will fail alike) is tried afresh
            return List.of(host.toString(), "unreadable", Long.toString(RANDOM.nextLong()));
        }
    }

    /** This JVM's directory under {@code tempRoot}, made on first use. Caller holds the lock. */
    private static Path rootDir(Path tempRoot) {
        Path dir = ROOTS.get(tempRoot);
        if (dir != null && Files.isDirectory(dir)) {
            return dir;
        }
        if (shutDown) {
            // a directory made now would outlive the JVM (its hook ran already); the reaper is the only way out
            throw new SandboxStartException("bubblewrap: the JVM is shutting down; no sandbox can be opened any more");
        }
        byte[] r = new byte[6];
        RANDOM.nextBytes(r);
        dir = PrivateDirs.create(tempRoot, KIND, HexFormat.of().formatHex(r), "rwx--x--x");
        ROOTS.put(tempRoot, dir);
        if (!hooked) {
            hooked = true;
            Runtime.getRuntime().addShutdownHook(new Thread(EtcViewCache::deleteAll, "sandbox4j-etc-views-cleanup"));
        }
        return dir;
    }

    /** Deletes the least recently used unused views beyond {@link #IDLE_MAX}. Caller holds the lock. */
    private static void evictIdle() {
        List<Entry> idle = new ArrayList<>(ENTRIES.stream().filter(e -> e.leases == 0).toList());
        idle.sort((a, b) -> Long.compare(a.lastUsed, b.lastUsed));
        for (int i = 0; i < idle.size() - IDLE_MAX; i++) {
            Entry e = idle.get(i);
            ENTRIES.remove(e);
            PrivateDirs.delete(e.view.dir());
        }
    }

    private static synchronized void deleteAll() {
        shutDown = true;
        ENTRIES.clear();
        ROOTS.values().forEach(PrivateDirs::delete);
        ROOTS.clear();
    }

    /** For tests: the number of views kept, in use or not. */
    static synchronized int size() {
        return ENTRIES.size();
    }
}
