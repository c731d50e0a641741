package dev.sandbox4j.linux.internal.nspawn;

import dev.sandbox4j.SandboxStartException;
import dev.sandbox4j.linux.internal.plan.HostFacts;
import dev.sandbox4j.linux.internal.plan.HostPath;
import dev.sandbox4j.linux.internal.plan.SandboxPlan;
import dev.sandbox4j.linux.internal.plan.Step;
import dev.sandbox4j.linux.internal.rootfs.ImageFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The user database systemd-nspawn needs for {@code --user}: it resolves the name by running getent inside
 * the container and then makes the home directory, so the sandbox's uid must have an entry there whose
 * home exists. This class writes {@code sandbox4j:x:<uid>:<gid>::/:/bin/sh} first in a generated
 * /etc/passwd (and the group in /etc/group), followed by the image's own entries (or, for
 * {@code SandboxImage.host()}, root only), pinned like every generated file, and shows them read-only over the
 * image's. Pure but for reading the image's files and writing the generated ones.
 */
final class NspawnUsers {
    /** The user name systemd-nspawn is given. */
    static final String USER = "sandbox4j";

    private NspawnUsers() {
    }

    /**
     * {@code plan} with the generated passwd and group, written and pinned through {@code facts.files()}: in place
     * of the plan's generated ones (host image), else bound over the image's (directory image) before the root is
     * made read-only.
     *
     * @param rootfs the image's root file system, or empty for the host image
     * @throws SandboxStartException when a directory image lacks /etc/passwd, /etc/group or getent
     */
    static SandboxPlan apply(SandboxPlan plan, HostFacts facts, Optional<Path> rootfs, int uid, int gid) {
        Path passwd = facts.privateDir().resolve("files/etc/passwd");
        Path group = facts.privateDir().resolve("files/etc/group");
        List<String> imagePasswd = List.of("root:x:0:0:root:/root:/bin/sh");
        List<String> imageGroup = List.of("root:x:0:");
        if (rootfs.isPresent()) {
            Path r = rootfs.get();
            if (ImageFiles.firstExecutable(r, List.of("/usr/bin/getent", "/bin/getent")).isEmpty()) {
                throw new SandboxStartException("image.directory " + r + " has no executable /usr/bin/getent, which"
                        + " systemd-nspawn runs inside the root to resolve the sandbox's user; add it (glibc's libc-bin,"
                        + " musl-utils)");
            }
            imagePasswd = lines(r, "/etc/passwd");
            imageGroup = lines(r, "/etc/group");
        }
        Map<Path, String> files = new LinkedHashMap<>(plan.generatedFiles());
        files.put(passwd, USER + ":x:" + uid + ":" + gid + ":" + USER + ":/:/bin/sh\n" + join(imagePasswd));
        files.put(group, USER + ":x:" + gid + ":\n" + join(imageGroup));
        Map<String, HostPath> written = new LinkedHashMap<>();
        written.put("/etc/passwd", facts.files().write(passwd, files.get(passwd)));
        written.put("/etc/group", facts.files().write(group, files.get(group)));
        List<Step> steps = new ArrayList<>();
        for (Step s : plan.steps()) {
            // the host image's generated files: the same paths, written again and pinned again
            steps.add(s instanceof Step.BindRo b && b.origin() == Step.Origin.GENERATED && written.containsKey(b.dest())
                    ? new Step.BindRo(written.remove(b.dest()), b.dest(), b.idmap(), b.origin()) : s);
        }
        int at = dev.sandbox4j.linux.internal.rootfs.SetuidGuard.indexOfRootRemount(steps);
        List<Step> over = new ArrayList<>();
        written.forEach((dest, source) -> over.add(new Step.BindRo(source, dest, Optional.empty(), Step.Origin.GENERATED)));
        steps.addAll(at, over);
        return new SandboxPlan(steps, files);
    }

    private static List<String> lines(Path rootfs, String file) {
        Optional<Path> p = ImageFiles.resolve(rootfs, file);
        if (p.isEmpty() || !Files.isRegularFile(p.get())) {
            throw new SandboxStartException("image.directory " + rootfs + " has no regular file " + file + ", over which"
                    + " the nspawn backend shows the sandbox's user; add one (it may be empty)");
        }
        try {
            return Files.readAllLines(p.get()).stream().filter(l -> !l.isBlank() && !l.startsWith(USER + ":")).toList();
        } catch (IOException e) {
            throw new SandboxStartException("reading " + p.get() + " failed: " + e, e);
        }
    }

    private static String join(List<String> lines) {
        StringBuilder b = new StringBuilder();
        lines.forEach(l -> b.append(l).append('\n'));
        return b.toString();
    }
}
