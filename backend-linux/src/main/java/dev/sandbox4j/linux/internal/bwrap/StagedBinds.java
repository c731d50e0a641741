package dev.sandbox4j.linux.internal.bwrap;

import dev.sandbox4j.linux.internal.plan.HostPath;
import dev.sandbox4j.linux.internal.plan.Idmap;
import dev.sandbox4j.linux.internal.plan.Step;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What the launcher does before bwrap (see src/main/c/s4j-bwrap.c), from one exec's plan: the user namespace
 * it runs bwrap in (as root: one it makes while still root, so that root owns it, mapping the sandbox's uid
 * and gid to its own host ids, and joins as that uid; not root: its own, mapping them to its ids), in which
 * bwrap makes the sandbox's nested, and the staged binds.
 *
 * <p>bwrap binds by name and follows symbolic links, so it is never given a host path: every bind source is
 * staged. The launcher resolves it without following a link, checks that it is still the object pinned when
 * the sandbox was built ({@link HostPath}), clones it from that descriptor and attaches the clone at
 * {@link Stage#mountPoint()} on a tmpfs that it mounts at {@link #ROOT} in a mount namespace of its own,
 * which no other process can see or change; bwrap binds from there. A mount point may lie inside an earlier
 * stage (the directories below /etc that the session's {@link EtcView} carries). Immutable.
 *
 * @param user          the command's ids inside and the host ids its user namespace maps them to
 * @param rootUserns    true: the launcher, as root, makes the user namespace (so root owns it)
 * @param idmap         the idmapping of the {@link Kind#OWN} and {@link Kind#OWN_RO} stages (a root JVM)
 * @param joinStorage   the process whose user and mount namespaces the launcher joins first (the disk storage
 *                      of a JVM that is not root: {@link Step.JoinStorage})
 * @param stages        in the order the launcher attaches them
 */
public record StagedBinds(Step.SetUser user, boolean rootUserns, Optional<Idmap> idmap, OptionalLong joinStorage,
                          List<Stage> stages) {
    /** Where the launcher mounts its staging tmpfs, in its own mount namespace. */
    public static final Path ROOT = Path.of("/tmp");

    /** How the launcher clones a source. */
    public enum Kind {
        /** Read-write, nosuid, nodev. */
        PLAIN("--stage"),
        /** Read-only, nosuid, nodev. */
        PLAIN_RO("--stage-ro"),
        /** Read-write, devices allowed, nosuid: the host's whole file system. */
        DEV("--stage-dev"),
        /** Read-write, idmapped with {@link StagedBinds#idmap()}. */
        OWN("--stage-own"),
        /** Read-only, idmapped. */
        OWN_RO("--stage-ro-own");

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
     * @param source     the pinned source
     * @param mountPoint where the launcher attaches it (below {@link #ROOT}) and bwrap binds it from
     * @param what       the bind in words, for the launcher's messages ("the policy's mount at /data")
     */
    public record Stage(Kind kind, HostPath source, Path mountPoint, String what) {
        public Stage {
            if (!mountPoint.startsWith(ROOT) || mountPoint.equals(ROOT)) {
                throw new IllegalArgumentException("stage " + mountPoint + " is not below " + ROOT);
            }
        }
    }

    public StagedBinds {
        stages = List.copyOf(stages);
        if (stages.stream().anyMatch(s -> s.kind() == Kind.OWN || s.kind() == Kind.OWN_RO) && idmap.isEmpty()) {
            throw new IllegalArgumentException("idmapped stages without an idmapping");
        }
    }

    /** The launcher's arguments for the user namespace and the staging, in order. */
    List<String> launcherArgs() {
        List<String> out = new ArrayList<>(List.of("--user", user.arg()));
        idmap.ifPresent(m -> out.addAll(List.of("--idmap", m.arg())));
        joinStorage.ifPresent(pid -> out.addAll(List.of("--join-ns", Long.toString(pid))));
        for (Stage s : stages) {
            out.addAll(List.of(s.kind().flag(), s.source().pin(), s.source().path().toString(), s.mountPoint().toString(), s.what()));
        }
        return out;
    }
}
