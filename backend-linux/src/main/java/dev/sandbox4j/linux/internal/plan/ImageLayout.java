package dev.sandbox4j.linux.internal.plan;

import dev.sandbox4j.InvalidInputException;
import dev.sandbox4j.NetworkPolicy;
import dev.sandbox4j.ProcessPolicy;
import dev.sandbox4j.linux.internal.plan.HostFacts.Kind;
import dev.sandbox4j.spi.PinnedPath;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The root of the view for an image: {@code SandboxImage.host()} (the host's system directories
 * read-only, a minimal generated /etc, and an empty /home and /root as a container's or VM's image has) or {@code SandboxImage.directory(rootfs)} (each top-level entry
 * of the root file system read-only). Both are laid out entry by entry on the engine's own empty root, so
 * that mount points such as /proc, /tmp and /workspace can always be made, even where the image lacks
 * them.
 */
final class ImageLayout {
    /** The host's system directories shown by {@code SandboxImage.host()} (those that exist; symlinks as symlinks). */
    static final List<String> HOST_SYSTEM_DIRS = List.of("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32");

    /**
     * What of the host's /etc a program needs to start (dynamic loader, alternatives links, certificates,
     * time zone, protocol tables, the Debian JDK's and Python's configuration). Never the whole /etc:
     * passwd, group, hosts and nsswitch.conf are generated, and nothing else is shown.
     */
    static final List<String> HOST_ETC = List.of("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "alternatives", "ssl",
            "ca-certificates", "ca-certificates.conf", "pki", "localtime", "timezone", "os-release", "debian_version",
            "mime.types", "protocols", "services", "magic", "perl");
    /** Host /etc entries shown by name prefix: the JDK's and Python's configuration directories. */
    static final List<String> HOST_ETC_PREFIXES = List.of("java-", "python3");
    /** Host /etc entries shown only with the host's network. */
    static final List<String> HOST_ETC_NETWORK = List.of("hosts", "resolv.conf", "host.conf", "gai.conf");

    /**
     * The empty directories that {@code SandboxImage.host()} shows as a container's or VM's image has them
     * (mode 0755, read-only with the root): never the host's /home or /root, whose contents must not be seen.
     * /tmp and /var/tmp come from the policy's tmpfs paths; /var is made here so that its mode does not depend
     * on the engine's umask when it makes the parent of /var/tmp.
     */
    static final List<String> HOST_EMPTY_DIRS = List.of("/home", "/root", "/var");

    /** Top-level entries of a rootfs that the sandbox gets fresh instead. */
    static final Set<String> ROOTFS_REPLACED = Set.of("proc", "dev", "sys", "workspace");

    private ImageLayout() {
    }

    static void host(PlanBuilder out, HostFacts facts, NetworkPolicy network, int uid, int gid) {
        Path root = Path.of("/");
        for (String name : HOST_SYSTEM_DIRS) {
            Path p = root.resolve(name);
            switch (facts.files().kind(p, false)) {
                case SYMLINK -> out.symlink(facts.files().linkTarget(p).orElseThrow(), "/" + name);
                case DIRECTORY -> out.image(p, "/" + name);
                default -> {
                    // absent on this distribution (lib32, libx32 are rare): nothing to show
                }
            }
        }
        Path etc = Path.of("/etc");
        Map<String, String> generated = network.mode() == NetworkPolicy.Mode.HOST
                ? Map.of("passwd", passwd(uid, gid), "group", group(gid), "nsswitch.conf", NSSWITCH)
                : Map.of("passwd", passwd(uid, gid), "group", group(gid), "nsswitch.conf", NSSWITCH, "hosts", HOSTS);
        for (String name : facts.files().list(etc)) {
            boolean shown = HOST_ETC.contains(name) || HOST_ETC_PREFIXES.stream().anyMatch(name::startsWith)
                    || network.mode() == NetworkPolicy.Mode.HOST && HOST_ETC_NETWORK.contains(name);
            if (shown && !generated.containsKey(name)) {
                Path p = etc.resolve(name);
                switch (facts.files().kind(p, false)) {
                    case SYMLINK -> out.symlink(facts.files().linkTarget(p).orElseThrow(), "/etc/" + name);
                    case DIRECTORY, FILE -> out.image(p, "/etc/" + name);
                    default -> {
                        // sockets and devices in /etc are never shown
                    }
                }
            }
        }
        generated.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> out.generated("/etc/" + e.getKey(), e.getValue()));
        HOST_EMPTY_DIRS.forEach(d -> out.add(new Step.Dir(d, 0755)));
    }

    /**
     * The entries of the pinned root file system, each pinned in turn (by name below the rootfs, which the
     * core pinned without a link; that the rootfs is still the pinned one is checked after, so that no entry
     * can have come from a directory swapped in meanwhile). A directory of the image in which one of
     * {@code mountPoints} (the policy's tmpfs paths and mounts) is missing is laid out entry by entry on an
     * empty directory of the view's root instead of bound whole, so that the mount point can be made there as a
     * container engine makes it: /var/tmp in an image whose /var has no tmp.
     */
    static void directory(PlanBuilder out, HostFacts facts, PinnedPath pinned, List<String> mountPoints) {
        Path rootfs = pinned.path();
        Kind kind = facts.files().kind(rootfs, true);
        if (kind != Kind.DIRECTORY) {
            throw new InvalidInputException("image.directory: " + rootfs + (kind == Kind.MISSING ? " does not exist"
                    : " is not a directory") + "; give an existing root file system directory (with /bin/sh, /usr, ...)");
        }
        if (facts.files().list(rootfs).isEmpty()) {
            throw new InvalidInputException("image.directory: " + rootfs + " is empty or unreadable; give a root file"
                    + " system directory (with /bin/sh, /usr, ...)");
        }
        layOut(out, facts, rootfs, "", mountPoints);
        if (!pinned.stillPinned()) {
            throw new InvalidInputException("image.directory " + rootfs + " was replaced while the sandbox was built (it no"
                    + " longer resolves, without a link, to what was pinned: " + pinned + "); build the sandbox again");
        }
    }

    /** The entries of the image directory {@code dir} at sandbox path {@code dest} ("" for the root). */
    private static void layOut(PlanBuilder out, HostFacts facts, Path dir, String dest, List<String> mountPoints) {
        for (String name : facts.files().list(dir)) {
            if (dest.isEmpty() && ROOTFS_REPLACED.contains(name)) {
                continue;
            }
            Path p = dir.resolve(name);
            String d = dest + "/" + name;
            switch (facts.files().kind(p, false)) {
                case SYMLINK -> out.symlink(facts.files().linkTarget(p).orElseThrow(), d);
                case DIRECTORY -> {
                    if (lacksMountPoint(facts, p, d, mountPoints)) {
                        out.add(new Step.Dir(d, 0755));
                        layOut(out, facts, p, d, mountPoints);
                    } else {
                        out.image(p, d);
                    }
                }
                case FILE -> out.image(p, d);
                default -> out.note("rootfs entry " + p + " is neither file, directory nor symlink: not shown");
            }
        }
    }

    /** True when a mount point lies below the image directory {@code host} (at {@code dest}) but does not exist there. */
    private static boolean lacksMountPoint(HostFacts facts, Path host, String dest, List<String> mountPoints) {
        return mountPoints.stream().filter(m -> m.startsWith(dest + "/"))
                .anyMatch(m -> facts.files().kind(host.resolve(m.substring(dest.length() + 1)), true) == Kind.MISSING);
    }

    static final String NSSWITCH = "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n"
            + "networks: files\nprotocols: files\nservices: files\nethers: files\nrpc: files\n";
    static final String HOSTS = "127.0.0.1\tlocalhost sandbox4j\n::1\tlocalhost ip6-localhost ip6-loopback\n";

    static String passwd(int uid, int gid) {
        StringBuilder b = new StringBuilder("root:x:0:0:root:/root:/bin/sh\n");
        b.append("nobody:x:").append(ProcessPolicy.NOBODY).append(':').append(ProcessPolicy.NOBODY)
                .append(":nobody:/nonexistent:/usr/sbin/nologin\n");
        if (uid != 0 && uid != ProcessPolicy.NOBODY) {
            b.append("sandbox:x:").append(uid).append(':').append(gid).append(":sandbox:/tmp:/bin/sh\n");
        }
        return b.toString();
    }

    static String group(int gid) {
        StringBuilder b = new StringBuilder("root:x:0:\nnogroup:x:").append(ProcessPolicy.NOBODY).append(":\n");
        if (gid != 0 && gid != ProcessPolicy.NOBODY) {
            b.append("sandbox:x:").append(gid).append(":\n");
        }
        return b.toString();
    }
}
