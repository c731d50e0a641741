package dev.sandbox4j.linux.internal.rootfs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Looks at files inside a root file system directory as a process chrooted there would see them: symlinks
 * are followed with absolute targets taken relative to the root, never to the host's {@code /}. Used to
 * refuse an image that lacks what the engine runs (a shell, env, getent) before anything starts. Pure
 * reads; thread-safe.
 */
public final class ImageFiles {
    private static final int MAX_LINKS = 32;

    private ImageFiles() {
    }

    /** The host path of {@code path} in {@code rootfs} with every link resolved inside it, if it exists. */
    public static Optional<Path> resolve(Path rootfs, String path) {
        String current = path;
        for (int links = 0; links <= MAX_LINKS; links++) {
            Path at = rootfs;
            String[] parts = current.split("/");
            boolean relinked = false;
            for (int i = 0; i < parts.length && !relinked; i++) {
                String part = parts[i];
                if (part.isEmpty() || part.equals(".")) {
                    continue;
                }
                if (part.equals("..")) {
                    at = at.equals(rootfs) ? rootfs : at.getParent();
                    continue;
                }
                Path next = at.resolve(part);
                if (Files.isSymbolicLink(next)) {
                    String target;
                    try {
                        target = Files.readSymbolicLink(next).toString();
                    } catch (IOException e) {
                        return Optional.empty();
                    }
                    String rest = String.join("/", List.of(parts).subList(i + 1, parts.length));
                    String base = target.startsWith("/") ? "" : "/" + rootfs.relativize(at);
                    current = base + "/" + target + (rest.isEmpty() ? "" : "/" + rest);
                    relinked = true;
                } else if (Files.exists(next, LinkOption.NOFOLLOW_LINKS)) {
                    at = next;
                } else {
                    return Optional.empty();
                }
            }
            if (!relinked) {
                return Optional.of(at);
            }
        }
        return Optional.empty();
    }

    /** True when {@code path} exists in {@code rootfs} as an executable regular file. */
    public static boolean executable(Path rootfs, String path) {
        return resolve(rootfs, path).filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) && Files.isExecutable(p))
                .isPresent();
    }

    /** The first of {@code paths} that is an executable in {@code rootfs}. */
    public static Optional<String> firstExecutable(Path rootfs, List<String> paths) {
        return paths.stream().filter(p -> executable(rootfs, p)).findFirst();
    }
}
