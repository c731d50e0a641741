package dev.sandbox4j.linux.internal.bwrap;

import dev.sandbox4j.Mount;
import dev.sandbox4j.linux.internal.plan.SandboxPlan;
import dev.sandbox4j.linux.internal.plan.Step;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * What the launcher prepares as root before it becomes the host's nobody and execs bwrap (see
 * src/main/c/s4j-bwrap.c), when the JVM is root and the policy names the sandbox's uid:
 * <ul>
 *   <li>the host ids bwrap runs as ({@link #hostIds}); its user namespace then maps the sandbox's uid to the
 *       host's 65534, which has no owner rights over any root file of the view (root-only /proc entries,
 *       /etc/ssl/private, a setuid-root file it could make);</li>
 *   <li>the "own" binds (the workspace, every read-write bind, the policy's read-only mounts) idmapped, so
 *       that the JVM's files appear as the sandbox user's and what the sandbox writes is stored as the JVM's
 *       (the files API and the sandbox can both change every file of the workspace); the launcher then
 *       loads the setuid guard, so that nothing it stores as root can carry a setuid or setgid bit;</li>
 *   <li>any other bind whose source nobody cannot reach (below a 0700 directory), cloned plainly.</li>
 * </ul>
 * Each staged source is attached, in the launcher's private mount namespace only, on an empty mount point
 * {@code <privateDir>/stage/<n>}, and bwrap binds it from there. Immutable; built once per session.
 *
 * @param hostIds the host uid and gid bwrap runs as; empty: bwrap runs as the JVM's user
 * @param stages  the staged binds, by plan step
 */
public record StagedBinds(Optional<int[]> hostIds, Map<Step, Stage> stages) {
    /** How the launcher clones a source: {@code --stage}, {@code --stage-ro}, {@code --stage-own}, {@code --stage-ro-own}. */
    public enum Kind {
        PLAIN("--stage"), PLAIN_RO("--stage-ro"), OWN("--stage-own"), OWN_RO("--stage-ro-own");

        private final String flag;

        Kind(String flag) {
            this.flag = flag;
        }

        public String flag() {
            return flag;
        }
    }

    /**
     * One staged bind.
     *
     * @param kind       how it is cloned
     * @param host       the source
     * @param mountPoint where the launcher attaches it and bwrap binds it from
     * @param directory  true when the source is a directory (the mount point must be of the same kind)
     * @param inEtcView   true when the mount point is the directory's own in the session's {@link EtcView}:
     *                    bwrap's (recursive) bind of the view at /etc then shows it, and binds nothing for it
     */
    public record Stage(Kind kind, Path host, Path mountPoint, boolean directory, boolean inEtcView) {
        public Stage(Kind kind, Path host, Path mountPoint, boolean directory) {
            this(kind, host, mountPoint, directory, false);
        }
    }

    public StagedBinds {
        stages = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(stages));
    }

    /** Nothing staged; bwrap runs as the JVM's user. */
    public static StagedBinds none() {
        return new StagedBinds(Optional.empty(), Map.of());
    }

    /**
     * The staging of a session plan run as {@code hostIds}.
     *
     * @param ownRo       the policy's read-only mounts (idmapped like the workspace)
     * @param inEtcView   /etc destinations that the session's {@link EtcView} shows instead of their binds
     * @param stageDir    where the mount points go ({@code <privateDir>/stage})
     * @param reachable   whether the host's nobody can reach a path (every directory above it searchable)
     * @param isDirectory whether a host path is a directory
     */
    public static StagedBinds of(SandboxPlan plan, int[] hostIds, Set<Mount> ownRo, Set<String> inEtcView, Path stageDir,
                                 Predicate<Path> reachable, Predicate<Path> isDirectory) {
        return of(plan, hostIds, ownRo, inEtcView, Optional.empty(), stageDir, reachable, isDirectory);
    }

    /**
     * As {@link #of(SandboxPlan, int[], Set, Set, Path, Predicate, Predicate)}; with the session's /etc view,
     * the plain read-only binds of directories directly below /etc (/etc/ssl, /etc/alternatives) are staged
     * read-only (recursive, nosuid, nodev: what bwrap's --ro-bind makes) on their mount points in the view
     * itself, so that the one bind of the view carries them: bwrap makes one mount for /etc instead of one
     * per directory (each costs it a read of the mount table and a remount; ~1 ms for the host image's 8).
     * A directory with another mount below it keeps its own bind (bwrap makes that mount point in it).
     */
    static StagedBinds of(SandboxPlan plan, int[] hostIds, Set<Mount> ownRo, Set<String> inEtcView, Optional<Path> etcViewDir,
                          Path stageDir, Predicate<Path> reachable, Predicate<Path> isDirectory) {
        Map<Step, Stage> stages = new LinkedHashMap<>();
        for (Step s : plan.steps()) {
            if (s instanceof Step.BindRo b && inEtcView.contains(b.dest())) {
                continue;
            }
            Kind kind = null;
            Path host = null;
            if (s instanceof Step.BindRw b) {
                kind = Kind.OWN;
                host = b.host();
            } else if (s instanceof Step.BindRo b && ownRo.contains(Mount.readOnly(b.host(), b.dest()))) {
                kind = Kind.OWN_RO;
                host = b.host();
            } else if (s instanceof Step.BindRo b && etcViewDir.isPresent() && carriedByView(plan, b) && isDirectory.test(b.host())) {
                stages.put(s, new Stage(Kind.PLAIN_RO, b.host(), etcViewDir.get().resolve(b.dest().substring("/etc/".length())),
                        true, true));
                continue;
            } else if (s instanceof Step.BindRo b && !reachable.test(b.host())) {
                kind = Kind.PLAIN_RO;
                host = b.host();
            } else if (s instanceof Step.BindDev b && !reachable.test(b.host())) {
                kind = Kind.PLAIN;
                host = b.host();
            }
            if (kind != null && !stages.containsKey(s)) {
                stages.put(s, new Stage(kind, host, stageDir.resolve(Integer.toString(stages.size())), isDirectory.test(host)));
            }
        }
        return new StagedBinds(Optional.of(hostIds.clone()), stages);
    }

    /** True for a bind directly below /etc that is the only mount at or below its destination. */
    private static boolean carriedByView(SandboxPlan plan, Step.BindRo bind) {
        String dest = bind.dest();
        if (!dest.startsWith("/etc/") || dest.indexOf('/', "/etc/".length()) >= 0 || dest.length() == "/etc/".length()) {
            return false;
        }
        for (Step s : plan.steps()) {
            String other = s instanceof Step.BindRo b ? b.dest() : s instanceof Step.BindRw b ? b.dest()
                    : s instanceof Step.BindDev b ? b.dest() : s instanceof Step.Symlink l ? l.dest()
                    : s instanceof Step.Tmpfs t ? t.dest() : s instanceof Step.HideDir h ? h.dest()
                    : s instanceof Step.HideFile h ? h.dest() : s instanceof Step.RemountRo r ? r.dest() : null;
            if (s != bind && other != null && (other.equals(dest) || other.startsWith(dest + "/"))) {
                return false;
            }
        }
        return true;
    }

    /** True when bwrap binds nothing for {@code step}: its source is staged into the /etc view. */
    boolean inEtcView(Step step) {
        Stage s = stages.get(step);
        return s != null && s.inEtcView();
    }

    /** Where bwrap binds {@code step}'s source from. */
    Path source(Step step, Path host) {
        Stage s = stages.get(step);
        return s == null ? host : s.mountPoint();
    }

    /** True when an idmapped bind is writable: the launcher then loads the setuid guard. */
    public boolean guarded() {
        return stages.values().stream().anyMatch(s -> s.kind() == Kind.OWN);
    }

    /** The launcher's arguments for the staging: host ids, then one {@code --stage* SRC DST} per bind. */
    List<String> launcherArgs() {
        List<String> out = new ArrayList<>();
        hostIds.ifPresent(ids -> out.addAll(List.of("--host-uid", Integer.toString(ids[0]), "--host-gid", Integer.toString(ids[1]))));
        for (Stage s : stages.values()) {
            out.addAll(List.of(s.kind().flag(), s.host().toString(), s.mountPoint().toString()));
        }
        return out;
    }
}
