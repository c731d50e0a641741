package dev.sandbox4j.vm.internal.session;

import dev.sandbox4j.Mount;
import dev.sandbox4j.SandboxImage;
import dev.sandbox4j.SandboxStartException;
import dev.sandbox4j.spi.HostIds;
import dev.sandbox4j.spi.PinnedPath;
import dev.sandbox4j.spi.SandboxSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What a VM sandbox holds on the host besides its processes, for its whole life: the writable shares
 * (the workspace and read-write mounts) handed to the sandbox's host uid and gid, which its file servers
 * run as (their owners come back at {@link #close()}: the core then gives what the sandbox left in a
 * caller's directory back to that directory's owner); the host's /usr pinned for the host image; the
 * seccomp program of its commands. (The core's files API hands what it creates to the same ids:
 * {@link VmSession#filesOwner()}.) Thread-safe.
 */
final class HostSide implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("dev.sandbox4j.vm");

    /** A directory whose owner was changed for the sandbox's life. */
    private record HandedOver(PinnedPath dir, int uid, int gid) {
    }

    private final SandboxSpec spec;
    private final Optional<PinnedPath> usr;
    private final List<HandedOver> handedOver;
    private final byte[] seccomp;
    private boolean closed;

    private HostSide(SandboxSpec spec, Optional<PinnedPath> usr, List<HandedOver> handedOver, byte[] seccomp) {
        this.spec = spec;
        this.usr = usr;
        this.handedOver = handedOver;
        this.seccomp = seccomp;
    }

    /**
     * Prepares the host side of {@code spec}'s VM; on failure nothing stays changed.
     *
     * @throws SandboxStartException when the sandbox has host root's ids, a directory cannot be handed over,
     *                               or the seccomp program cannot be compiled
     */
    static HostSide open(SandboxSpec spec) {
        HostIds ids = spec.host().ids();
        if (ids.uid() == 0 || ids.gid() == 0) {
            throw new SandboxStartException("the VM backends run the sandbox's file servers as the sandbox's own host uid,"
                    + " and this sandbox's host ids are " + ids + ", host root's; the core allocates a uid of its own to"
                    + " each sandbox of a root JVM");
        }
        byte[] seccomp = GuestFilter.forPolicy(spec.policy());
        List<PinnedPath> writable = new ArrayList<>(List.of(spec.host().workspace()));
        for (Mount m : spec.policy().filesystem().mounts()) {
            if (m.writable()) {
                writable.add(spec.host().mount(spec.policy().filesystem().mounts(), m));
            }
        }
        List<HandedOver> done = new ArrayList<>();
        Optional<PinnedPath> usr = Optional.empty();
        try {
            for (PinnedPath p : writable) {
                done.add(handOver(p, ids));
            }
            if (spec.image() instanceof SandboxImage.Host) {
                usr = Optional.of(PinnedPath.pin(Path.of("/usr"), "the host's /usr (shared read-only into the guest)"));
            }
            return new HostSide(spec, usr, done, seccomp);
        } catch (RuntimeException e) {
            usr.ifPresent(PinnedPath::close);
            giveBack(done);
            throw e;
        }
    }

    /** Changes the owner of the pinned directory itself (through its descriptor, never by name) to {@code ids}. */
    private static HandedOver handOver(PinnedPath dir, HostIds ids) {
        Path self = Path.of(dir.procPath());
        try {
            int uid = (Integer) Files.getAttribute(self, "unix:uid");
            int gid = (Integer) Files.getAttribute(self, "unix:gid");
            Files.setAttribute(self, "unix:gid", ids.gid());
            Files.setAttribute(self, "unix:uid", ids.uid());
            return new HandedOver(dir, uid, gid);
        } catch (IOException | RuntimeException e) {
            throw new SandboxStartException("handing the shared directory " + dir.path() + " to the sandbox's host ids " + ids
                    + " (its file server writes as them) failed: " + e, e);
        }
    }

    private static void giveBack(List<HandedOver> done) {
        for (int i = done.size() - 1; i >= 0; i--) {
            HandedOver h = done.get(i);
            try {
                Path self = Path.of(h.dir().procPath());
                Files.setAttribute(self, "unix:uid", h.uid());
                Files.setAttribute(self, "unix:gid", h.gid());
            } catch (IOException | RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "giving " + h.dir().path() + " back to " + h.uid() + ":" + h.gid()
                        + " failed: " + e);
            }
        }
    }

    /** The sandbox's host ids, which its file servers run as. */
    HostIds ids() {
        return spec.host().ids();
    }

    /** The host's /usr, pinned, when the image is the host's. */
    Optional<PinnedPath> usr() {
        return usr;
    }

    /** The seccomp program every command of the sandbox gets ({@link GuestFilter}). */
    byte[] seccomp() {
        return seccomp.clone();
    }

    /** Gives the handed-over directories back, releases /usr. Idempotent; never throws. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        giveBack(handedOver);
        usr.ifPresent(PinnedPath::close);
    }
}
