package dev.sandbox4j.linux.internal.plan;

import dev.sandbox4j.DataSize;
import dev.sandbox4j.InvalidInputException;
import dev.sandbox4j.linux.internal.plan.HostFacts.Kind;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Collects the steps of a plan and keeps track of the view they build, so that a mount whose mount point
 * cannot be made (inside a read-only directory where it does not exist, inside /proc) or whose kind
 * contradicts the view (a file over a directory) is refused before anything runs, with the reason.
 */
final class PlanBuilder {
    /** One mount in the view so far; {@code host} null for a fresh file system. */
    private record Entry(String dest, Path host, boolean writable, String fresh) {
    }

    /** What a sandbox path shows so far: a host path (in a bind) or a place on a fresh file system. */
    record Resolved(String dest, Optional<Path> host, boolean writable, String mountDest, String fresh) {
    }

    private final HostFacts facts;
    private final List<Step> steps = new ArrayList<>();
    private final Map<Path, String> files = new LinkedHashMap<>();
    private final List<Entry> view = new ArrayList<>();
    private final Map<String, String> symlinks = new LinkedHashMap<>();

    PlanBuilder(HostFacts facts) {
        this.facts = facts;
    }

    HostFacts facts() {
        return facts;
    }

    void add(Step step) {
        steps.add(step);
    }

    void note(String text) {
        steps.add(new Step.Note(text));
    }

    void bindRo(HostPath source, String dest, Optional<Idmap> idmap, Step.Origin origin) {
        checkMountPoint(dest, kind(source), "bind of " + source);
        steps.add(new Step.BindRo(source, dest, idmap, origin));
        view.add(new Entry(dest, source.path(), false, null));
    }

    void bindRw(HostPath source, String dest, Optional<Idmap> idmap, Step.Origin origin) {
        checkMountPoint(dest, kind(source), "bind of " + source);
        steps.add(new Step.BindRw(source, dest, idmap, origin));
        view.add(new Entry(dest, source.path(), true, null));
    }

    void bindDev(HostPath source, String dest, Step.Origin origin) {
        steps.add(new Step.BindDev(source, dest, origin));
        view.add(new Entry(dest, source.path(), true, null));
    }

    /** A read-only bind of an image path, pinned now (the session holds the pin). */
    void image(Path host, String dest) {
        bindRo(facts.files().pin(host, "image path"), dest, Optional.empty(), Step.Origin.IMAGE);
    }

    private static Kind kind(HostPath source) {
        return source.directory() ? Kind.DIRECTORY : Kind.FILE;
    }

    void symlink(String target, String dest) {
        steps.add(new Step.Symlink(target, dest));
        symlinks.put(dest, target);
    }

    void tmpfs(String dest, Optional<DataSize> size, int mode) {
        checkMountPoint(dest, Kind.DIRECTORY, "tmpfs");
        steps.add(new Step.Tmpfs(dest, size, mode));
        view.add(new Entry(dest, null, true, "tmpfs"));
    }

    void fresh(Step step, String dest, String what) {
        steps.add(step);
        view.add(new Entry(dest, null, true, what));
    }

    /** A file written into the session's private directory now, pinned, and shown read-only at {@code dest}. */
    void generated(String dest, String content) {
        Path host = facts.privateDir().resolve("files" + dest);
        files.put(host, content);
        HostPath source = facts.files().write(host, content);
        steps.add(new Step.BindRo(source, dest, Optional.empty(), Step.Origin.GENERATED));
        view.add(new Entry(dest, host, false, null));
    }

    SandboxPlan build() {
        return new SandboxPlan(steps, files);
    }

    /** What {@code dest} shows in the view built so far, symlinks of the view followed. */
    Resolved resolve(String dest) {
        String path = followSymlinks(dest);
        for (int i = view.size() - 1; i >= 0; i--) {
            Entry e = view.get(i);
            if (covers(e.dest, path)) {
                if (e.host == null) {
                    return new Resolved(path, Optional.empty(), e.writable, e.dest, e.fresh);
                }
                String rel = path.equals(e.dest) ? "" : path.substring(e.dest.equals("/") ? 1 : e.dest.length() + 1);
                return new Resolved(path, Optional.of(rel.isEmpty() ? e.host : e.host.resolve(rel)), e.writable, e.dest, null);
            }
        }
        return new Resolved(path, Optional.empty(), true, "/", "root");
    }

    private void checkMountPoint(String dest, Kind newKind, String what) {
        if (newKind == Kind.MISSING) {
            throw new InvalidInputException("mount at " + dest + ": the host path of the " + what
                    + " does not exist; create it or fix the path");
        }
        Resolved r = resolve(dest);
        if (r.fresh() != null && !r.fresh().equals("root") && !r.fresh().equals("tmpfs")) {
            throw new InvalidInputException("mount at " + dest + ": it lies inside " + r.mountDest() + " (" + r.fresh()
                    + "), where no mount point can be made; choose a path outside " + r.mountDest());
        }
        if (r.host().isEmpty()) {
            return;
        }
        Kind existing = facts.files().kind(r.host().get(), true);
        if (existing == Kind.MISSING) {
            if (!r.writable()) {
                throw new InvalidInputException("mount at " + dest + ": it lies inside the read-only " + r.mountDest()
                        + " (host " + r.host().get().getParent() + "), where " + r.host().get().getFileName()
                        + " does not exist, so no mount point can be made; choose a sandbox path outside " + r.mountDest());
            }
            return;
        }
        boolean newDir = newKind == Kind.DIRECTORY;
        boolean oldDir = existing == Kind.DIRECTORY;
        if (newDir != oldDir) {
            throw new InvalidInputException("mount at " + dest + ": the " + what + " is a " + (newDir ? "directory" : "file")
                    + " but " + dest + " in the sandbox's view is a " + (oldDir ? "directory" : "file") + " (host "
                    + r.host().get() + "); mount a " + (oldDir ? "directory" : "file") + " there or choose another path");
        }
    }

    private String followSymlinks(String dest) {
        String path = dest;
        for (int hops = 0; hops < 16; hops++) {
            String next = null;
            for (Map.Entry<String, String> s : symlinks.entrySet()) {
                if (covers(s.getKey(), path) && !s.getKey().equals("/")) {
                    String target = s.getValue().startsWith("/") ? s.getValue()
                            : parent(s.getKey()) + (parent(s.getKey()).equals("/") ? "" : "/") + s.getValue();
                    next = normalize(target + path.substring(s.getKey().length()));
                    break;
                }
            }
            if (next == null) {
                return path;
            }
            path = next;
        }
        return path;
    }

    static boolean covers(String mountDest, String path) {
        return mountDest.equals("/") || path.equals(mountDest) || path.startsWith(mountDest + "/");
    }

    private static String parent(String p) {
        int i = p.lastIndexOf('/');
        return i <= 0 ? "/" : p.substring(0, i);
    }

    private static String normalize(String p) {
        String n = Path.of(p).normalize().toString();
        return n.isEmpty() ? "/" : n;
    }
}
